/**
 * Two real `dops serve` processes (the built CLI) on one plan checkout each and ONE moto S3 bucket: one leads
 * (`/health`), only it fires the every-second schedule, `GET /schedules` answers on both over HTTP; the leader killed
 * with SIGKILL, the other leads and fires, and no slot ever ran twice.
 */
import assert from 'node:assert/strict'
import {spawn, type ChildProcess} from 'node:child_process'
import {mkdtempSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, before, test} from 'node:test'
import {BIN} from '../helpers.js'
import {AWS_TEST_ENV, haveMoto, motoAt, startMoto, TEST_CREDS} from '../env/moto.js'
import {project, until} from './schedule-helpers.js'

const {port, endpoint} = motoAt(29000)
let moto: ChildProcess | undefined
const TOKEN = 'sched-test-token-0123456789abcdef'
before(async () => {
  if (!haveMoto) return
  moto = await startMoto(port)
  const m = await import('@aws-sdk/client-s3')
  await new m.S3Client({region: 'us-east-1', endpoint, forcePathStyle: true, credentials: TEST_CREDS}).send(new m.CreateBucketCommand({Bucket: 'serve-e2e'}))
})
after(() => moto?.kill('SIGKILL'))

interface Served {
  child: ChildProcess
  url: string
  err: () => string
}

async function serve(dir: string): Promise<Served> {
  const child = spawn(process.execPath, [BIN, 'serve', '--listen', '127.0.0.1:0', '--json'], {cwd: dir, env: {...process.env, ...AWS_TEST_ENV, DOPS_TOKENS: `${TOKEN}:operate`, DOPS_SERVE_LEASE_MS: '2000'}, stdio: ['ignore', 'pipe', 'pipe']})
  let out = ''
  let err = ''
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()))
  await until(() => /"url"/.test(out) || child.exitCode !== null, 30_000, 'dops serve listening')
  assert.equal(child.exitCode, null, err)
  return {child, url: (JSON.parse(out.trim().split('\n')[0]!) as {url: string}).url, err: () => err}
}

const get = async <T>(s: Served, p: string): Promise<T> => {
  const r = await fetch(s.url + p, {headers: {authorization: `Bearer ${TOKEN}`}})
  assert.equal(r.status, 200, `${p}: ${r.status}`)
  return (await r.json()) as T
}
const slots = (s: Served) => [...s.err().matchAll(/schedule tick: (\S+) (?:started job|skipped)/g)].map((m) => m[1]!)

test('two dops serve on one bucket: one leads and fires; killed, the other takes over; no slot twice', {skip: !haveMoto && 'moto_server is not installed'}, async () => {
  const state = `state: {backend: s3, bucket: serve-e2e, endpoint: "${endpoint}"}\n`
  const schedules = '  tick:\n    cron: "*/1 * * * * *"\n    run: {command: "echo tick"}\n'
  const a = project(schedules, state, mkdtempSync(path.join(os.tmpdir(), 'dops-serve-a-')))
  const b = project(schedules, state, mkdtempSync(path.join(os.tmpdir(), 'dops-serve-b-')))
  const A = await serve(a.dir)
  const B = await serve(b.dir)
  try {
    const health = async (s: Served) => (await get<{leader: boolean}>(s, '/health')).leader
    assert.deepEqual([await health(A), await health(B)], [true, false], A.err() + B.err())
    await until(() => slots(A).length >= 3, 15_000, 'A firing')
    for (const s of [A, B]) {
      const listed = await get<{schedules: Array<{name: string; next: string[]; last?: {jobId: string}}>}>(s, '/schedules')
      assert.equal(listed.schedules[0]!.name, 'tick')
      assert.equal(listed.schedules[0]!.next.length, 3)
      assert.ok(listed.schedules[0]!.last?.jobId, 'the last run, from the shared document, on both')
    }
    assert.equal(slots(B).length, 0, 'the follower fires nothing')
    A.child.kill('SIGKILL')
    await until(async () => await health(B), 10_000, 'B leading')
    await until(() => slots(B).length >= 3, 15_000, 'B firing')
    const all = [...slots(A), ...slots(B)]
    assert.equal(new Set(all).size, all.length, `no slot twice:\nA ${slots(A).join(' ')}\nB ${slots(B).join(' ')}`)
    assert.ok(slots(B).every((s) => s > slots(A).at(-1)!))
    // one job per slot B fired (a slot being fired while this runs may have its job and not yet its log line)
    const logged = [...B.err().matchAll(/schedule tick: \S+ started job (\S+)/g)].map((m) => m[1]!)
    const jobs = (await get<{jobs: Array<{id: string; trigger: {type: string; by?: string}}>}>(B, '/jobs?limit=100')).jobs.filter((j) => j.trigger.type === 'schedule' && j.trigger.by === 'tick')
    assert.ok(logged.every((id) => jobs.some((j) => j.id === id)), 'each logged job is in the store')
    assert.ok(jobs.length <= logged.length + 1, `${jobs.length} jobs for ${logged.length} slots`)
  } finally {
    A.child.kill('SIGKILL')
    B.child.kill('SIGTERM')
    await new Promise((r) => (B.child.exitCode !== null ? r(undefined) : B.child.once('exit', r)))
  }
})
