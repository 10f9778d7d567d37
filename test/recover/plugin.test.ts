/**
 * The Alertmanager receiver in `dops serve`'s application (inject; a real job store and runner in a temporary
 * project; no hosts): its own bearer token, a malformed payload, a server that is not the leader, an unknown
 * environment, GET /recovery behind the API's read token.
 */
import assert from 'node:assert/strict'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, test} from 'node:test'
import {compilePending} from '../../src/serve/ajv.js'
import {READ_TOKEN, startServer} from './server.js'

const dir = mkdtempSync(path.join(os.tmpdir(), 'dops-alerts-plugin-'))
const planFile = path.join(dir, 'dops.yml')
writeFileSync(planFile, 'version: 1\nproject: p\nproviders: {sandbox: {type: local}}\nenvironments:\n  prod:\n    groups:\n      web:\n        provider: sandbox\n        instance: {count: 1}\n        on: {alert: {Down: {action: replace}}}\n')
let leader = true
let leads: (() => boolean) | undefined
const server = await startServer(dir, planFile, 's3cret-alertmanager', {listen: false, leader: {isLeader: () => leads?.() ?? leader, holder: () => ({owner: 'other:1', expiresAt: ''})}})
const {app} = server
after(async () => {
  await server.close()
  rmSync(dir, {recursive: true, force: true})
})

const body = (labels: Record<string, string>, fp = 'abc') => ({version: '4', status: 'firing', alerts: [{status: 'firing', labels: {alertname: 'Down', ...labels}, startsAt: '2026-12-01T00:00:00Z', fingerprint: fp}]})
const post = (payload: unknown, auth = 'Bearer s3cret-alertmanager') => app.inject({method: 'POST', url: '/hooks/alertmanager', headers: auth ? {authorization: auth} : {}, payload: payload as object})
const recovery = async () => (await app.inject({url: '/recovery', headers: {authorization: `Bearer ${READ_TOKEN}`}})).json().decisions as Array<{fingerprint: string; guard: string; outcome: string; reason: string}>

test('no token or a wrong one: 401 with a JSON error, nothing decided', async () => {
  for (const auth of ['', 'Bearer nope', 'Basic czNjcmV0', 'Bearer s3cret-alertmanage', 'Bearer s3cret-alertmanager0', `Bearer ${READ_TOKEN}`]) {
    const r = await post(body({env: 'prod'}), auth)
    assert.equal(r.statusCode, 401, auth)
    assert.equal(r.json().error.code, 'UNAUTHORIZED')
    assert.equal(r.headers['www-authenticate'], 'Bearer')
  }
  assert.deepEqual(await recovery(), [])
  assert.equal((await app.inject({url: '/recovery'})).statusCode, 401, 'GET /recovery needs an API token')
  assert.ok(server.logs.includes('alerts: POST /hooks/alertmanager takes Alertmanager webhooks (bearer token DOPS_ALERTMANAGER_TOKEN)'), server.logs.join('\n'))
  assert.ok(server.logs.every((l) => !l.includes('s3cret-alertmanager')), 'the token is never logged')
})

test('a malformed payload is a 400 (Alertmanager does not retry it)', async () => {
  for (const bad of [{}, {version: '3', status: 'firing', alerts: []}, {version: '4', status: 'firing', alerts: [{status: 'firing', labels: {}, startsAt: 'x', fingerprint: 'f'}]}, 'not json']) {
    const r = await post(bad)
    if (typeof bad === 'string') {
      assert.equal(r.statusCode, 415, 'not JSON: unsupported media type')
      assert.ok(r.json().error.code)
      continue
    }
    assert.equal(r.statusCode, 400, JSON.stringify(bad))
    assert.equal(r.json().error.code, 'INVALID_PAYLOAD')
  }
})

test('not the leader: 200 and ignored, nothing recorded', async () => {
  leader = false
  const r = await post(body({env: 'prod', group: 'web', host: 'web-1'}))
  leader = true
  assert.equal(r.statusCode, 200)
  assert.deepEqual(r.json(), {ignored: 'not the leader', leader: 'other:1'})
  assert.deepEqual(await recovery(), [])
})

test('accepted at once, decided after: an unknown environment and a host not in the state', async () => {
  const a = await post(body({env: 'staging'}, 'f1'))
  assert.deepEqual([a.statusCode, a.json()], [200, {accepted: 1}])
  await post(body({env: 'prod', group: 'web', host: 'web-7'}, 'f2'))
  let list: Awaited<ReturnType<typeof recovery>> = []
  for (let i = 0; i < 100 && list.length < 2; i++) {
    await new Promise((r) => setTimeout(r, 50))
    list = await recovery()
  }
  assert.deepEqual(list.map((d) => [d.fingerprint, d.outcome, d.guard]), [['f2', 'suppressed', 'unknown-host'], ['f1', 'ignored', 'unknown-env']])
  assert.match(list[1]!.reason, /no environment `staging`/)
  assert.equal(server.ctx.runner.list().length, 0, 'no job started')
  const doc = (await app.inject({url: '/openapi.json'})).json() as {paths: Record<string, Record<string, {security?: unknown[]; description?: string}>>}
  assert.deepEqual(doc.paths['/hooks/alertmanager']!.post!.security, [], 'its own token, not the API security')
  assert.ok(doc.paths['/recovery']!.get!.description)
  assert.deepEqual(compilePending().map((e) => e.message), [], "every schema compiles on dops serve's Ajv")
})

test('leadership lost between the delivery and the action: nothing is started, and the journal says why', async () => {
  mkdirSync(path.join(dir, '.dops/state'), {recursive: true})
  const instance = {id: 'p-prod-web-1', name: 'web-1', address: '127.0.0.1', port: 22, user: 'root', createdAt: '2026-01-01T00:00:00Z', data: {}}
  writeFileSync(path.join(dir, '.dops/state/p-prod.json'), JSON.stringify({version: 1, project: 'p', env: 'prod', groups: {web: {provider: 'sandbox', instances: [instance]}}}))
  let n = 0
  leads = () => n++ === 0
  const r = await post(body({env: 'prod', group: 'web', host: 'web-1'}, 'lost'))
  assert.deepEqual(r.json(), {accepted: 1})
  let d: Awaited<ReturnType<typeof recovery>>[number] | undefined
  for (let i = 0; i < 100 && !d; i++) {
    await new Promise((res) => setTimeout(res, 50))
    d = (await recovery()).find((x) => x.fingerprint === 'lost')
  }
  leads = undefined
  assert.deepEqual([d?.outcome, d?.guard], ['suppressed', 'not-leader'], d?.reason)
  assert.equal(server.ctx.runner.list().length, 0, 'no job started')
})

test('a token shorter than 16 characters turns the receiver off', async () => {
  const weak = await startServer(dir, planFile, 'short', {listen: false})
  try {
    const r = await weak.app.inject({method: 'POST', url: '/hooks/alertmanager', headers: {authorization: 'Bearer short'}, payload: body({env: 'prod'})})
    assert.equal(r.statusCode, 401)
    assert.match(r.json().error.message, /DOPS_ALERTMANAGER_TOKEN set \(16 characters at least\)/)
    assert.ok(weak.logs.some((l) => /alerts: off \(DOPS_ALERTMANAGER_TOKEN is shorter than 16 characters\)/.test(l)), weak.logs.join('\n'))
  } finally {
    await weak.close()
  }
})
