/**
 * `dops serve` for the recovery tests: the application as the serve command builds it (buildServer: dops's Ajv,
 * bearer-token auth, JSON errors, the alerts plugin among the others), on a real listener on 127.0.0.1. The Alertmanager token comes from DOPS_ALERTMANAGER_TOKEN, as in production.
 */
import {buildServer} from '../../src/serve/app.js'
import {openJobs} from '../../src/serve/jobs/index.js'
import {newToken, parseTokensEnv} from '../../src/serve/tokens.js'
import type {Leader, ServeContext} from '../../src/serve/types.js'

export const READ_TOKEN = newToken()

export async function startServer(projectDir: string, planFile: string, alertmanagerToken: string, o: {leader?: Leader; listen?: boolean} = {}) {
  process.env.DOPS_ALERTMANAGER_TOKEN = alertmanagerToken
  const {store, runner} = await openJobs(projectDir, planFile)
  const logs: string[] = []
  const leader: Leader = o.leader ?? {isLeader: () => true, holder: () => undefined}
  const ctx: ServeContext = {projectDir, planFile, version: 'test', runner, store, leader, publicRead: false, log: (l) => void logs.push(l)}
  const app = await buildServer(ctx, {tokens: parseTokensEnv(`${READ_TOKEN}:read`)})
  if (!app.dopsRoutes.some((r) => r.url === '/hooks/alertmanager')) throw new Error('buildServer has no /hooks/alertmanager route')
  await app.ready()
  const url = o.listen === false ? '' : await app.listen({host: '127.0.0.1', port: 0})
  return {
    app,
    url,
    ctx,
    logs,
    close: async () => {
      await app.close()
      await runner.close()
    },
  }
}
