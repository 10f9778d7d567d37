/** What the API tests share: a project of static hosts run on this machine (`ansible_connection=local`), tokens. */
import {mkdtempSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {buildServer} from '../../src/serve/app.js'
import {openJobs} from '../../src/serve/jobs/index.js'
import {openLeader} from '../../src/serve/leader.js'
import {newToken, parseTokensEnv} from '../../src/serve/tokens.js'
import type {ServeContext} from '../../src/serve/types.js'

export const READ = newToken()
export const OPERATE = newToken()
export const TOKENS = `${READ}:read,${OPERATE}:operate`
export const auth = (t: string) => ({authorization: `Bearer ${t}`})

/** A project whose environment `one` has two static hosts that run commands here. */
export function localProject(prefix = 'dops-api-'): {dir: string; plan: string} {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix))
  writeFileSync(path.join(dir, 'hosts.ini'), 'a ansible_connection=local\nb ansible_connection=local\n')
  const plan = path.join(dir, 'dops.yml')
  writeFileSync(plan, ['version: 1', 'project: apitest', 'environments:', '  one:', '    groups:', '      ctl: {provider: static, inventory: hosts.ini, labels: {role: ctl}}', '  two:', '    groups:', '      ctl: {provider: static, inventory: hosts.ini}', ''].join('\n'))
  writeFileSync(path.join(dir, 'hello.sh'), '#!/bin/sh\necho "hello $1 from $DOPS_HOST"\n')
  return {dir, plan}
}

/** The application over a project, as `dops serve` builds it (not listening: `inject()`). */
export async function appFor(dir: string, plan: string, o: {publicRead?: boolean; tokens?: string} = {}) {
  const {store, runner} = await openJobs(dir, plan)
  const leader = await openLeader({projectDir: dir, planFile: plan, log: () => {}})
  const lines: string[] = []
  const ctx: ServeContext = {projectDir: dir, planFile: plan, version: 'test', runner, store, leader, publicRead: Boolean(o.publicRead), log: (l) => lines.push(l)}
  const app = await buildServer(ctx, {tokens: parseTokensEnv(o.tokens ?? TOKENS)})
  await app.ready()
  return {app, ctx, store, runner, lines, close: async () => (await app.close(), await runner.close(), await leader.close())}
}
