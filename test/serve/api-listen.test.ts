/**
 * `dops serve` listening for real: the SSE stream read with fetch over `listen(0)` (replay after Last-Event-ID, a
 * client that goes away), a job left `running` by a dead server shown `interrupted` after a restart, TLS with a
 * certificate made by openssl, and the CLI: the refusal of a non-loopback address without TLS, IPv6 [::1], tokens
 * files (located errors, `dops serve token new`).
 */
import assert from 'node:assert/strict'
import {spawn, spawnSync} from 'node:child_process'
import {readFileSync, statSync, writeFileSync} from 'node:fs'
import https from 'node:https'
import path from 'node:path'
import {test} from 'node:test'
import {JsonlJobStore} from '../../src/serve/jobs/store.js'
import {streamsOpen} from '../../src/serve/sse.js'
import {startServe} from '../../src/serve/start.js'
import type {Job} from '../../src/serve/types.js'
import {BIN, dops} from '../helpers.js'
import {auth, localProject, OPERATE, READ, TOKENS} from './api-helpers.js'

const serve = (dir: string, o: Partial<Parameters<typeof startServe>[0]> = {}) => startServe({cwd: dir, listen: '127.0.0.1:0', tokensEnv: TOKENS, version: 'test', log: () => {}, ...o})

interface Frame {
  id?: string
  event?: string
  data?: string
}
function frames(text: string): Frame[] {
  return text
    .split('\n\n')
    .filter((b) => b.trim() && !b.startsWith(':'))
    .map((b) => Object.fromEntries(b.split('\n').map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)])) as Frame)
}

test('SSE over a real socket: every event in order, the stream ends at the terminal state, Last-Event-ID replays the rest', async () => {
  const {dir} = localProject()
  const s = await serve(dir)
  try {
    const start = await fetch(`${s.url}/envs/one/run`, {method: 'POST', headers: {...auth(OPERATE), 'content-type': 'application/json'}, body: JSON.stringify({command: 'echo one; sleep 0.3; echo two'})})
    assert.equal(start.status, 202)
    const {job} = (await start.json()) as {job: Job}
    const res = await fetch(`${s.url}/jobs/${job.id}/events`, {headers: auth(READ)})
    assert.equal(res.status, 200)
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/)
    const all = frames(await res.text())
    assert.deepEqual(all.map((f) => Number(f.id)), all.map((_, i) => i + 1), 'ids are the sequence numbers, none missing')
    assert.equal(all[0]!.event, 'job.state')
    assert.deepEqual(JSON.parse(all.at(-1)!.data!), {state: 'succeeded', exitCode: 0})
    const lines = all.filter((f) => f.event === 'host.output').map((f) => (JSON.parse(f.data!) as {host: string; line: string}).line)
    assert.deepEqual(lines.sort(), ['one', 'one', 'two', 'two'])
    const again = frames(await (await fetch(`${s.url}/jobs/${job.id}/events`, {headers: {...auth(READ), 'last-event-id': '3'}})).text())
    assert.deepEqual(again.map((f) => Number(f.id)), all.slice(3).map((f) => Number(f.id)))
    // nothing left after the last event of an ended job: 204, which tells an EventSource to stop reconnecting
    const over = await fetch(`${s.url}/jobs/${job.id}/events`, {headers: {...auth(READ), 'last-event-id': all.at(-1)!.id!}})
    assert.equal(over.status, 204)
    // a client that goes away mid-stream: the server goes on answering
    const long = (await (await fetch(`${s.url}/envs/two/run`, {method: 'POST', headers: {...auth(OPERATE), 'content-type': 'application/json'}, body: JSON.stringify({command: 'sleep 3'})})).json()) as {job: Job}
    const ac = new AbortController()
    const live = await fetch(`${s.url}/jobs/${long.job.id}/events`, {headers: auth(READ), signal: ac.signal})
    const reader = live.body!.getReader()
    const first = new TextDecoder().decode((await reader.read()).value)
    assert.match(first, /events of job/)
    assert.equal(streamsOpen(), 1)
    ac.abort()
    // the stream is closed when its client goes, not when the job ends (bounded wait, well before the job's 3 s)
    for (let i = 0; i < 50 && streamsOpen() > 0; i++) await new Promise((r) => setTimeout(r, 50))
    assert.equal(streamsOpen(), 0)
    assert.equal(s.ctx.runner.get(long.job.id)?.state, 'running')
    assert.equal((await s.ctx.runner.wait(long.job.id)).state, 'succeeded')
    assert.equal((await fetch(`${s.url}/health`)).status, 200)
  } finally {
    await s.close()
  }
})

test('a job left running by a server that died shows interrupted after the restart, never running', async () => {
  const {dir, plan} = localProject()
  const store = new JsonlJobStore(dir)
  await store.open()
  const now = new Date().toISOString()
  const left: Job = {id: 'j-20260101-000000-abcdef', kind: 'run', env: 'one', params: {command: 'sleep 100'}, trigger: {type: 'api', by: 'test'}, state: 'running', createdAt: now, startedAt: now}
  await store.put(left)
  await store.close()
  const s = await serve(dir, {planFile: plan})
  try {
    const r = await fetch(`${s.url}/jobs/${left.id}`, {headers: auth(READ)})
    const {job} = (await r.json()) as {job: Job}
    assert.equal(job.state, 'interrupted')
    const events = frames(await (await fetch(`${s.url}/jobs/${left.id}/events`, {headers: auth(READ)})).text())
    assert.equal(JSON.parse(events.at(-1)!.data!).state, 'interrupted', 'its stream ends at once with that state')
  } finally {
    await s.close()
  }
})

test('TLS: with a certificate and key the API answers over https only', async (t) => {
  const {dir} = localProject()
  const cert = path.join(dir, 'cert.pem')
  const key = path.join(dir, 'key.pem')
  const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], {encoding: 'utf8'})
  if (made.error) return t.skip('openssl is not installed: the TLS test needs it to make a certificate')
  assert.equal(made.status, 0, made.stderr)
  const s = await serve(dir, {tlsCert: cert, tlsKey: key})
  try {
    assert.match(s.url, /^https:\/\/127\.0\.0\.1:\d+$/)
    const body = await new Promise<{status: number; text: string}>((resolve, reject) => {
      https.get(`${s.url}/envs`, {ca: readFileSync(cert), headers: auth(READ)}, (res) => {
        let text = ''
        res.on('data', (d: Buffer) => (text += d))
        res.on('end', () => resolve({status: res.statusCode!, text}))
      }).on('error', reject)
    })
    assert.equal(body.status, 200)
    assert.equal((JSON.parse(body.text) as {project: string}).project, 'apitest')
    await assert.rejects(fetch(s.url.replace('https:', 'http:') + '/health'), 'plain HTTP gets no answer')
  } finally {
    await s.close()
  }
  // a key that is not the certificate's: refused at start-up (exit 2), as a flag error
  const other = path.join(dir, 'other.pem')
  assert.equal(spawnSync('openssl', ['genpkey', '-algorithm', 'RSA', '-out', other]).status, 0)
  const r = await dops(['serve', '--listen', '127.0.0.1:0', '--tls-cert', cert, '--tls-key', other], {cwd: dir, env: {DOPS_TOKENS: TOKENS}})
  assert.equal(r.code, 2, r.stderr)
  assert.match(r.stderr, /--tls-cert .*cert\.pem \/ --tls-key .*other\.pem: .*key values mismatch/)
  const notPem = await dops(['serve', '--listen', '127.0.0.1:0', '--tls-cert', cert, '--tls-key', path.join(dir, 'hosts.ini')], {cwd: dir})
  assert.equal(notPem.code, 2)
  assert.match(notPem.stderr, /--tls-key .*hosts\.ini: not a PEM file/)
})

test('the CLI refuses a non-loopback address without TLS (exit 2, says why), and bad tokens (located)', async () => {
  const {dir} = localProject()
  const r = await dops(['serve', '--listen', '0.0.0.0:0'], {cwd: dir})
  assert.equal(r.code, 2, r.stderr)
  assert.match(r.stderr, /refusing to listen on 0\.0\.0\.0:0 without TLS.*--tls-cert and --tls-key, or --insecure-http/s)
  const v6 = await dops(['serve', '--listen', '[2001:db8::1]:8080'], {cwd: dir})
  assert.equal(v6.code, 2)
  assert.match(v6.stderr, /refusing to listen on \[2001:db8::1\]:8080 without TLS/)
  assert.equal((await dops(['serve', '--listen', 'localhost'], {cwd: dir})).code, 2)
  const file = path.join(dir, 'tokens')
  writeFileSync(file, `# ops\n${OPERATE} operate alice\nshort read\n${READ} admin\n`)
  const bad = await dops(['serve', '--tokens-file', file, '--listen', '127.0.0.1:0'], {cwd: dir})
  assert.equal(bad.code, 2)
  assert.match(bad.stderr, new RegExp(`${file}:3:1: the token is shorter than 16 characters`))
  assert.match(bad.stderr, new RegExp(`${file}:4:1: role \`admin\`: expected read or operate`))
  assert.ok(!bad.stderr.includes(READ), 'the token is not printed')
  const env = await dops(['serve', '--listen', '127.0.0.1:0'], {cwd: dir, env: {DOPS_TOKENS: `${OPERATE}:operate,${READ}`}})
  assert.equal(env.code, 2)
  assert.match(env.stderr, /DOPS_TOKENS: item 2: expected TOKEN:ROLE/)
})

test('dops serve token new appends a 0600 line the server accepts; dops serve on [::1] answers and stops cleanly on SIGTERM', async () => {
  const {dir} = localProject()
  const file = path.join(dir, 'tokens')
  const made = await dops(['serve', 'token', 'new', '--role', 'operate', '--tokens-file', file], {cwd: dir})
  assert.equal(made.code, 0, made.stderr)
  const token = made.stdout.trim()
  assert.match(token, /^[A-Za-z0-9_-]{43}$/)
  assert.equal(readFileSync(file, 'utf8'), `${token} operate\n`)
  assert.equal(statSync(file).mode & 0o777, 0o600)
  const readOnly = await dops(['serve', 'token', 'new', '--tokens-file', file, '--json'], {cwd: dir})
  const second = JSON.parse(readOnly.stdout) as {token: string; role: string; name: string}
  assert.equal(second.role, 'read')
  assert.match(second.name, /^token-[0-9a-f]{6}$/)
  assert.equal(readFileSync(file, 'utf8').split('\n').length, 3)

  const child = spawn(process.execPath, [BIN, 'serve', '--listen', '[::1]:0', '--tokens-file', file, '--json'], {cwd: dir, env: {...process.env, DOPS_TOKENS: ''}})
  let err = ''
  child.stderr.on('data', (d: Buffer) => (err += d))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = ''
      child.stdout.on('data', (d: Buffer) => {
        out += d
        if (out.includes('\n')) resolve((JSON.parse(out.split('\n')[0]!) as {url: string}).url)
      })
      child.on('exit', () => reject(new Error(`dops serve exited: ${err}`)))
    })
    assert.match(url, /^http:\/\/\[::1\]:\d+$/)
    assert.match(err, new RegExp(`dops serve listening on ${url.replace(/[[\]]/g, '\\$&')}`))
    const r = await fetch(`${url}/jobs`, {headers: auth(token)})
    assert.equal(r.status, 200)
    const forbidden = await fetch(`${url}/envs/one/run`, {method: 'POST', headers: {...auth(second.token), 'content-type': 'application/json'}, body: '{"command":"true"}'})
    assert.equal(forbidden.status, 403)
  } finally {
    child.kill('SIGTERM')
  }
  assert.equal(await exited, 0, err)
  assert.ok(!err.includes(token) && !err.includes(second.token), 'no token in the server log')
})
