/**
 * The API over a real local-provider environment (two sandbox web hosts with an app): `GET /envs/{env}` served from
 * the state and the records equals `dops env status --json` where they overlap (and with `?refresh=1`, the hosts'
 * answers too); a `run` job streams its output over SSE and writes the run journal the CLI writes; a `deploy` job
 * is `dops deploy`: the new revision shows in the view and in the deployments as `dops deploy history --json` has it.
 */
import assert from 'node:assert/strict'
import {mkdirSync, mkdtempSync, readdirSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, before, test} from 'node:test'
import type {EnvStatus} from '../../src/env/status.js'
import type {EnvView} from '../../src/serve/env-view.js'
import {startServe, type RunningServer} from '../../src/serve/start.js'
import type {Job} from '../../src/serve/types.js'
import {cleanUpLocalEnv, removeProject} from '../env/local-cleanup.js'
import {dops, json} from '../helpers.js'
import {auth, OPERATE, READ, TOKENS} from './api-helpers.js'

const project = mkdtempSync(path.join(os.tmpdir(), 'dops-api-env-'))
const run = (args: string[]) => dops(args, {cwd: project})
const setVersion = (v: string) => writeFileSync(path.join(project, 'app/index.html'), `${v}\n`)
let s: RunningServer

before(async () => {
  mkdirSync(path.join(project, 'app'), {recursive: true})
  writeFileSync(path.join(project, 'app/appspec.yml'), 'version: 0.0\nos: linux\nfiles:\n  - source: index.html\n    destination: /srv/site\n')
  setVersion('v1')
  writeFileSync(
    path.join(project, 'dops.yml'),
    ['version: 1', 'project: apienvtest', 'providers:', '  sandbox: {type: local}', 'apps:', '  site: {source: ./app}', 'environments:', '  local:', '    groups:', '      web:', '        provider: sandbox', '        instance: {count: 2}', '        labels: {tier: front}', '        apps: [site]', ''].join('\n'),
  )
  const up = await run(['env', 'up', '--json'])
  assert.equal(up.code, 0, up.stdout.slice(-2000) + up.stderr)
  s = await startServe({cwd: project, listen: '127.0.0.1:0', tokensEnv: TOKENS, version: 'test', log: () => {}})
})
after(async () => {
  await s?.close()
  const problems = await cleanUpLocalEnv({project: 'apienvtest', projectDir: project, env: 'local'})
  removeProject(project)
  if (problems.length) console.error(`cleanup: ${problems.join('; ')}`)
})

const get = async <T>(url: string): Promise<T> => {
  const r = await fetch(`${s.url}${url}`, {headers: auth(READ)})
  assert.equal(r.status, 200, `${url}: ${await r.clone().text()}`)
  return (await r.json()) as T
}
const start = async (url: string, body: object): Promise<Job> => {
  const r = await fetch(`${s.url}${url}`, {method: 'POST', headers: {...auth(OPERATE), 'content-type': 'application/json'}, body: JSON.stringify(body)})
  assert.equal(r.status, 202, await r.clone().text())
  return ((await r.json()) as {job: Job}).job
}

/** the fields the view and `env status --json` share */
function overlap(v: EnvView | EnvStatus, withChecks: boolean) {
  return {
    project: v.project,
    env: v.env,
    groups: v.groups.map((g) => ({
      group: g.group,
      provider: g.provider,
      apps: g.apps.map((a) => ({app: a.app, revision: a.revision})),
      hosts: g.hosts.map((h) => ({name: h.name, address: h.address, revisions: h.revisions, ...(withChecks ? {state: h.state, reachable: h.reachable, health: h.health} : {})})),
    })),
  }
}

test('GET /envs/{env} equals `dops env status --json` where they overlap, without and with ?refresh=1', async () => {
  const cli = json<EnvStatus>(await run(['env', 'status', '--json']))
  assert.ok(cli.groups[0]!.apps[0]!.revision, 'the CLI sees a deployed revision')
  const view = await get<EnvView>('/envs/local')
  assert.deepEqual(overlap(view, false), overlap(cli, false))
  assert.equal(view.checkedAt, undefined)
  assert.deepEqual(view.groups[0]!.hosts.map((h) => [h.state, h.labels.tier]), [['recorded', 'front'], ['recorded', 'front']])
  assert.deepEqual([view.groups[0]!.desired, view.groups[0]!.actual, view.groups[0]!.apps[0]!.mixed], [2, 2, false])
  assert.equal(view.lastDeployment?.status, 'succeeded')
  const checked = await get<EnvView>('/envs/local?refresh=1')
  assert.ok(checked.checkedAt && checked.groups[0]!.hosts.every((h) => h.checkedAt === checked.checkedAt))
  assert.deepEqual(overlap(checked, true), overlap(cli, true))
  // the check is kept: the next plain read has it
  assert.equal((await get<EnvView>('/envs/local')).checkedAt, checked.checkedAt)
  const envs = await get<{envs: Array<{name: string; hosts: number; health: string}>}>('/envs')
  assert.deepEqual(envs.envs.map((e) => `${e.name}:${e.hosts}:${e.health}`), ['local:2:healthy'])
})

test('a run job on the sandbox hosts: its output over SSE, the run journal where the CLI writes it', async () => {
  const job = await start('/envs/local/run', {command: 'cat /srv/site/index.html', group: 'web'})
  const res = await fetch(`${s.url}/jobs/${job.id}/events`, {headers: auth(READ)})
  const text = await res.text()
  const lines = [...text.matchAll(/^event: host\.output\ndata: (.*)$/gm)].map((m) => (JSON.parse(m[1]!) as {host: string; line: string}))
  assert.deepEqual(lines.map((l) => `${l.host}=${l.line}`).sort(), ['web-1=v1', 'web-2=v1'])
  assert.match(text, /event: job\.state\ndata: \{"state":"succeeded","exitCode":0\}\n\n$/)
  const done = (await get<{job: Job}>(`/jobs/${job.id}`)).job
  const runId = (done.result as {runId: string}).runId
  assert.ok(readdirSync(path.join(project, '.dops', 'runs')).some((f) => f.startsWith(runId)), 'the run journal exists')
})

test('a deploy job is `dops deploy`: the new revision in the view (as env status says) and in the deployments (as deploy history says)', async () => {
  setVersion('v2')
  const job = await start('/envs/local/deploy', {app: 'site'})
  const done = await s.ctx.runner.wait(job.id)
  assert.equal(done.state, 'succeeded', JSON.stringify(done.error ?? done.result).slice(0, 2000))
  const deploymentId = (done.result as {deploymentId: string}).deploymentId
  const view = await get<EnvView>('/envs/local')
  const cli = json<EnvStatus>(await run(['env', 'status', '--json']))
  assert.deepEqual(overlap(view, false), overlap(cli, false))
  assert.equal(view.lastDeployment?.deploymentId, deploymentId)
  assert.notEqual(view.groups[0]!.apps[0]!.revision, undefined)
  const history = json<{deployments: Array<Record<string, unknown>>}>(await run(['deploy', 'history', '--json']))
  const api = await get<{deployments: Array<Record<string, unknown> & {hosts: Array<{host: string; status: string; events: Array<{event: string; ok: boolean}>}>}>}>('/envs/local/deployments')
  assert.deepEqual(api.deployments.map(({hosts: _, ...h}) => h), [...history.deployments].reverse())
  assert.deepEqual(api.deployments[0]!.hosts.map((h) => `${h.host}:${h.status}`), ['web-1:ok', 'web-2:ok'])
  assert.ok(api.deployments[0]!.hosts[0]!.events.some((e) => e.event === 'Install' && e.ok))
  assert.equal((await get<{deployments: unknown[]}>('/envs/local/deployments?limit=1&app=site')).deployments.length, 1)
  const served = await start('/envs/local/run', {command: 'cat /srv/site/index.html'})
  const r = (await s.ctx.runner.wait(served.id)).result as {results: Array<{stdout: string}>}
  assert.deepEqual(r.results.map((x) => x.stdout.trim()), ['v2', 'v2'])
})
