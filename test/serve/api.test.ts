/**
 * The REST API with `inject()`: the auth matrix (nothing started on 401/403), validation and other errors as JSON
 * without a stack, the OpenAPI document listing every route, reads of a project's environments and jobs, and the
 * job routes over the real runner (static hosts run on this machine with ansible_connection=local).
 */
import assert from 'node:assert/strict'
import {existsSync, mkdirSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {after, before, test} from 'node:test'
import type {Job} from '../../src/serve/types.js'
import {compilePending} from '../../src/serve/ajv.js'
import {appFor, auth, localProject, OPERATE, READ} from './api-helpers.js'

let s: Awaited<ReturnType<typeof appFor>>
let dir: string
before(async () => {
  const p = localProject()
  dir = p.dir
  s = await appFor(p.dir, p.plan)
})
after(async () => s.close())

const post = (url: string, body: unknown, headers: Record<string, string> = auth(OPERATE)) => s.app.inject({method: 'POST', url, payload: body as object, headers})
const get = (url: string, headers: Record<string, string> = auth(READ)) => s.app.inject({method: 'GET', url, headers})
const noStack = (body: string) => assert.doesNotMatch(body, /at .*\.(ts|js):\d+|node:internal/, 'no stack trace in an answer')

test('auth: no token or an unknown one is 401 with WWW-Authenticate, a read token on a job route 403; nothing is started', async () => {
  const routes: Array<[string, string, object | undefined]> = [
    ['POST', '/envs/one/run', {command: 'touch started'}],
    ['POST', '/envs/one/up', {}],
    ['POST', '/envs/one/down', {yes: true}],
    ['POST', '/envs/one/scale', {groups: {ctl: 3}}],
    ['POST', '/envs/one/deploy', {app: 'x'}],
    ['POST', '/envs/one/rollback', {app: 'x'}],
    ['POST', '/jobs/j-20260101-000000-abcdef/cancel', undefined],
  ]
  for (const [method, url, payload] of routes) {
    for (const [headers, status] of [[{}, 401], [auth('not-a-token-of-this-server'), 401], [{authorization: `Basic ${READ}`}, 401], [auth(READ), 403]] as const) {
      const r = await s.app.inject({method: method as 'POST', url, payload, headers})
      assert.equal(r.statusCode, status, `${method} ${url} with ${JSON.stringify(Object.keys(headers))}: ${r.body}`)
      const body = r.json<{error: {code: string; message: string}}>()
      assert.equal(body.error.code, status === 401 ? 'UNAUTHORIZED' : 'FORBIDDEN')
      if (status === 401) assert.match(String(r.headers['www-authenticate']), /^Bearer/)
      else assert.match(body.error.message, /read role/)
      noStack(r.body)
    }
  }
  for (const url of ['/envs', '/envs/one', '/envs/one/deployments', '/jobs']) {
    assert.equal((await get(url, {})).statusCode, 401, url)
    assert.equal((await get(url, auth(READ))).statusCode, 200, url)
    assert.equal((await get(url, auth(OPERATE))).statusCode, 200, url)
  }
  assert.equal((await get('/health', {})).statusCode, 200)
  assert.equal((await get('/openapi.json', {})).statusCode, 200)
  assert.deepEqual(s.store.list(), [], 'no job was recorded')
  assert.equal(existsSync(path.join(dir, 'started')), false)
  assert.ok(!s.lines.join('\n').includes(READ) && !s.lines.join('\n').includes(OPERATE), 'no token in the log')
})

test('with --public-read reads need no token, a wrong token is still refused, and jobs still need an operate token', async () => {
  const p = localProject()
  const pub = await appFor(p.dir, p.plan, {publicRead: true})
  try {
    assert.equal((await pub.app.inject({method: 'GET', url: '/envs'})).statusCode, 200)
    assert.equal((await pub.app.inject({method: 'GET', url: '/envs', headers: auth('wrong-token-wrong-token')})).statusCode, 401)
    assert.equal((await pub.app.inject({method: 'POST', url: '/envs/one/run', payload: {command: 'true'}})).statusCode, 401)
    assert.deepEqual(pub.store.list(), [])
  } finally {
    await pub.close()
  }
})

test('bad input is a 4xx JSON error naming the field; nothing is started', async () => {
  const cases: Array<[string, unknown, number, RegExp]> = [
    ['/envs/one/run', {command: 'true', bogus: 1}, 400, /unknown field `bogus`/],
    ['/envs/one/run', {}, 400, /either `command` or `script`/],
    ['/envs/one/run', {command: 'true', script: 'hello.sh'}, 400, /either `command` or `script`/],
    ['/envs/one/run', {script: '../outside.sh'}, 400, /not inside the project directory/],
    ['/envs/one/run', {script: '/etc/passwd'}, 400, /relative to the project directory/],
    ['/envs/one/run', {script: 'missing.sh'}, 400, /does not exist/],
    ['/envs/one/run', {command: 'true', group: 'nope'}, 400, /no group `nope` in environment one \(groups: ctl\)/],
    ['/envs/one/run', {command: 'true', timeout: 'soon'}, 400, /body\.timeout/],
    ['/envs/one/run', {command: 'true', sudo: 'yes'}, 400, /body\.sudo: must be boolean/],
    ['/envs/one/scale', {groups: {ctl: -1}}, 400, /body\.groups\.ctl: must be >= 0/],
    ['/envs/one/scale', {}, 400, /must have required property 'groups'/],
    ['/envs/one/deploy', {app: 'nope'}, 400, /no app `nope` in the plan/],
    ['/envs/one/down', {}, 400, /send `\{"yes": true\}`/],
    ['/envs/one/down', undefined, 400, /send `\{"yes": true\}`/],
    ['/envs/one/up', {yes: 'please'}, 400, /body\.yes: must be boolean/],
    ['/envs/nope/run', {command: 'true'}, 404, /no environment `nope` in the plan \(environments: one, two\)/],
  ]
  for (const [url, body, status, message] of cases) {
    const r = await post(url, body)
    assert.equal(r.statusCode, status, `${url} ${JSON.stringify(body)}: ${r.body}`)
    assert.match(r.json<{error: {message: string}}>().error.message, message)
    noStack(r.body)
  }
  const badJson = await s.app.inject({method: 'POST', url: '/envs/one/run', payload: '{"command": ', headers: {...auth(OPERATE), 'content-type': 'application/json'}})
  assert.equal(badJson.statusCode, 400)
  assert.equal(badJson.json<{error: {code: string}}>().error.code, 'INVALID_INPUT')
  const big = await s.app.inject({method: 'POST', url: '/envs/one/run', payload: JSON.stringify({command: 'x'.repeat(2 * 1024 * 1024)}), headers: {...auth(OPERATE), 'content-type': 'application/json'}})
  assert.equal(big.statusCode, 413)
  assert.equal(big.json<{error: {code: string}}>().error.code, 'BODY_TOO_LARGE')
  const unknownEnv = await get('/envs/nope')
  assert.equal(unknownEnv.statusCode, 404)
  assert.deepEqual(unknownEnv.json<{error: {envs: string[]}}>().error.envs, ['one', 'two'])
  assert.equal((await get('/jobs/not-an-id')).statusCode, 400)
  assert.equal((await get('/jobs/j-20260101-000000-abcdef')).statusCode, 404)
  assert.equal((await get('/jobs?limit=many')).statusCode, 400)
  assert.equal((await get('/jobs?state=done')).statusCode, 400)
  const none = await get('/no/such/route')
  assert.equal(none.statusCode, 404)
  assert.equal(none.json<{error: {code: string}}>().error.code, 'NOT_FOUND')
  assert.deepEqual(s.store.list(), [], 'no job was recorded')
})

test('the OpenAPI document lists every route, each with a description, and the bearer scheme where a token is needed; every schema compiles', async () => {
  assert.deepEqual(compilePending().map((e) => e.message), [])
  const r = await get('/openapi.json', {})
  assert.equal(r.statusCode, 200)
  const doc = r.json<{openapi: string; paths: Record<string, Record<string, {description?: string; security?: unknown[]}>>}>()
  assert.match(doc.openapi, /^3\./)
  const documented = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p.replace(/\{(\w+)\}/g, ':$1')}`))
  const routes = s.app.dopsRoutes.map((x) => `${x.method} ${x.url}`)
  assert.deepEqual([...documented].sort(), [...new Set(routes)].sort())
  for (const [p, ops] of Object.entries(doc.paths)) {
    for (const [m, op] of Object.entries(ops)) {
      assert.ok(op.description && op.description.length > 10, `${m} ${p} has a description`)
      const route = s.app.dopsRoutes.find((x) => x.method === m.toUpperCase() && x.url === p.replace(/\{(\w+)\}/g, ':$1'))!
      assert.deepEqual(op.security, route.auth === 'none' ? [] : [{bearer: []}], `${m} ${p} security`)
    }
  }
  const open = s.app.dopsRoutes.filter((x) => x.auth === 'none').map((x) => `${x.method} ${x.url}`)
  for (const r of ['GET /health', 'GET /openapi.json']) assert.ok(open.includes(r), r)
  assert.deepEqual(open.filter((r) => !/^(GET \/health|GET \/openapi\.json|POST \/hooks\/|GET \/$|GET \/assets)/.test(r)), [], 'no other route is open')
  assert.deepEqual(s.app.dopsRoutes.filter((x) => x.method !== 'GET' && x.auth !== 'operate' && !x.url.startsWith('/hooks/')).map((x) => x.url), [], 'every other mutating route needs operate')
  for (const p of ['/envs', '/envs/{env}', '/envs/{env}/deployments', '/envs/{env}/apps/{app}/status', '/envs/{env}/run', '/jobs', '/jobs/{id}', '/jobs/{id}/cancel', '/jobs/{id}/events']) assert.ok(doc.paths[p], p)
})

test('run jobs: 202 at once with the job, the same run journal as the CLI, listed, events as JSON; a script of the project with arguments', async () => {
  const r = await post('/envs/one/run', {command: 'echo hello-$DOPS_HOST'})
  assert.equal(r.statusCode, 202, r.body)
  const {job} = r.json<{job: Job}>()
  assert.equal(job.kind, 'run')
  assert.equal(job.trigger.type, 'api')
  assert.match(job.trigger.by!, /^token-[0-9a-f]{6}$/)
  const done = await s.runner.wait(job.id)
  assert.equal(done.state, 'succeeded', JSON.stringify(done.error))
  const got = (await get(`/jobs/${job.id}`)).json<{job: Job}>().job
  assert.equal(got.state, 'succeeded')
  assert.equal(got.exitCode, 0)
  const runId = (got.result as {runId: string}).runId
  assert.ok(readdirSync(path.join(dir, '.dops', 'runs')).some((f) => f.startsWith(runId)), 'the run journal is where the CLI writes it')
  const events = (await get(`/jobs/${job.id}/events?format=json`)).json<{events: Array<{seq: number; type: string; data: {line?: string}}>}>().events
  assert.deepEqual(events.filter((e) => e.type === 'host.output').map((e) => e.data.line).sort(), ['hello-a', 'hello-b'])
  assert.deepEqual((await get(`/jobs/${job.id}/events?format=json&after=${events.length - 1}`)).json<{events: unknown[]}>().events.length, 1)

  const script = await post('/envs/one/run', {script: 'hello.sh', args: ['world'], hosts: ['a']})
  assert.equal(script.statusCode, 202, script.body)
  const sj = await s.runner.wait(script.json<{job: Job}>().job.id)
  assert.equal(sj.state, 'succeeded', JSON.stringify(sj.error))
  assert.deepEqual((sj.result as {results: Array<{host: string; stdout: string}>}).results.map((x) => `${x.host}:${x.stdout.trim()}`), ['a:hello world from a'])

  const failing = await post('/envs/two/run', {command: 'exit 3'})
  const fj = await s.runner.wait(failing.json<{job: Job}>().job.id)
  assert.equal(fj.state, 'failed')
  assert.equal(fj.exitCode, 4, 'every host failed: the CLI would exit 4')

  const list = (await get('/jobs?env=one')).json<{jobs: Job[]}>().jobs
  assert.deepEqual(list.map((j) => j.id), [sj.id, job.id], 'newest first, this environment only')
  assert.deepEqual((await get('/jobs?state=failed')).json<{jobs: Job[]}>().jobs.map((j) => j.id), [fj.id])
  assert.deepEqual((await get('/jobs?limit=1')).json<{jobs: Job[]}>().jobs.length, 1)
})

test('cancel: a queued job never starts; cancelling a finished job leaves it as it was', async () => {
  const first = (await post('/envs/two/run', {command: 'sleep 1'})).json<{job: Job}>().job
  const second = (await post('/envs/two/run', {command: 'touch cancelled-ran'})).json<{job: Job}>().job
  assert.equal(second.state, 'queued')
  assert.match(second.reason ?? '', new RegExp(first.id))
  const c = await post(`/jobs/${second.id}/cancel`, undefined)
  assert.equal(c.statusCode, 200, c.body)
  assert.equal(c.json<{job: Job}>().job.state, 'cancelled')
  assert.equal((await s.runner.wait(first.id)).state, 'succeeded')
  assert.equal(existsSync(path.join(dir, 'cancelled-ran')), false)
  const again = await post(`/jobs/${first.id}/cancel`, undefined)
  assert.equal(again.json<{job: Job}>().job.state, 'succeeded')
})

test('GET /envs and /envs/{env}: groups, hosts with labels, counts; served from the plan and state', async () => {
  const envs = (await get('/envs')).json<{project: string; envs: Array<{name: string; groups: number; hosts: number; health: string}>}>()
  assert.equal(envs.project, 'apitest')
  assert.deepEqual(envs.envs.map((e) => `${e.name}:${e.groups}:${e.hosts}:${e.health}`), ['one:1:2:unknown', 'two:1:2:unknown'])
  const one = (await get('/envs/one')).json<{env: string; groups: Array<{group: string; provider: string; desired: number; actual: number; hosts: Array<{name: string; state: string; labels: Record<string, string>}>}>}>()
  assert.equal(one.env, 'one')
  const g = one.groups[0]!
  assert.deepEqual([g.group, g.provider, g.desired, g.actual], ['ctl', 'static', 2, 2])
  assert.deepEqual(g.hosts.map((h) => `${h.name}:${h.state}:${h.labels.role}`), ['a:static:ctl', 'b:static:ctl'])
  assert.deepEqual((await get('/envs/one/deployments')).json(), {deployments: []})
  // a command holding the state lock: the next read names it (the view follows the files)
  const lock = path.join(dir, '.dops', 'state', 'apitest-one.json.lock')
  mkdirSync(path.dirname(lock), {recursive: true})
  writeFileSync(lock, String(process.pid))
  try {
    assert.deepEqual((await get('/envs/one')).json<{locked?: unknown}>().locked, {holder: `process ${process.pid} on this machine`})
    assert.deepEqual((await get('/envs')).json<{envs: Array<{locked?: unknown}>}>().envs.map((e) => Boolean(e.locked)), [true, false])
  } finally {
    rmSync(lock)
  }
  assert.equal((await get('/envs/one')).json<{locked?: unknown}>().locked, undefined)
  // a corrupt state: that environment says why (a located problem), the others are still listed
  const state = path.join(dir, '.dops', 'state', 'apitest-two.json')
  writeFileSync(state, '{"groups": ')
  try {
    const r = await get('/envs/two')
    assert.equal(r.statusCode, 400)
    assert.equal(r.json<{error: {code: string}}>().error.code, 'STATE_CORRUPT')
    const list = (await get('/envs')).json<{envs: Array<{name: string; hosts: number; error?: {code: string}}>}>().envs
    assert.deepEqual(list.map((e) => `${e.name}:${e.hosts}:${e.error?.code ?? ''}`), ['one:2:', 'two:0:STATE_CORRUPT'])
  } finally {
    rmSync(state)
  }
})
