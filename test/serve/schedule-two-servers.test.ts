/**
 * Two `dops serve` schedulers (each its own project checkout, job store and runner) on ONE moto S3 bucket: only the
 * lease holder fires, each slot runs exactly once in total, and when the leader dies (stops renewing, releases
 * nothing) the other takes over once its lease ran out, and the slots go on, none twice.
 */
import assert from 'node:assert/strict'
import {spawn, type ChildProcess} from 'node:child_process'
import {mkdtempSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, before, test} from 'node:test'
import {AWS_TEST_ENV, haveMoto, motoAt, startMoto, TEST_CREDS} from '../env/moto.js'
import {S3ScheduleState} from '../../src/serve/lease-s3.js'
import {cronOf} from '../../src/serve/schedules/cron.js'
import {firedSlots, project, startServer, until, type Server} from './schedule-helpers.js'

const {port, endpoint} = motoAt(31000)
let moto: ChildProcess | undefined
Object.assign(process.env, AWS_TEST_ENV)

before(async () => {
  if (!haveMoto) return
  moto = await startMoto(port)
  const m = await import('@aws-sdk/client-s3')
  await new m.S3Client({region: 'us-east-1', endpoint, forcePathStyle: true, credentials: TEST_CREDS}).send(new m.CreateBucketCommand({Bucket: 'serve-shared'}))
})
after(() => moto?.kill('SIGKILL'))

const LEASE_MS = 2000
const jobsOf = (s: Server) => s.ctx.runner.list({limit: 1000}).filter((j) => j.trigger.type === 'schedule' && j.trigger.by === 'tick')

test('two servers on one bucket: each slot runs once in total; the leader killed, the other takes over after its lease', {skip: !haveMoto && 'moto_server is not installed'}, async () => {
  const state = `state: {backend: s3, bucket: serve-shared, endpoint: "${endpoint}"}\n`
  const schedules = '  tick:\n    cron: "*/1 * * * * *"\n    run: {command: "echo tick"}\n'
  const a = project(schedules, state, mkdtempSync(path.join(os.tmpdir(), 'dops-sched-a-')))
  const b = project(schedules, state, mkdtempSync(path.join(os.tmpdir(), 'dops-sched-b-')))
  const A = await startServer(a.dir, a.plan, LEASE_MS)
  const B = await startServer(b.dir, b.plan, LEASE_MS)
  let killedAt = ''
  let leaseEnd = 0
  let tookOverAt = 0
  try {
    assert.equal(A.leader.isLeader(), true, 'the first server takes the free lease')
    assert.equal(B.leader.isLeader(), false, 'the second does not')
    await until(() => B.leader.holder()?.owner === `${os.hostname()}:${process.pid}`, 5000, 'the follower names the holder')
    // ~6 s with both up: only A fires
    await new Promise((r) => setTimeout(r, 6000))
    assert.ok(firedSlots(A.logs, 'tick').length >= 3, `A fired: ${A.logs.join('\n')}`)
    assert.equal(firedSlots(B.logs, 'tick').length, 0, 'the follower fired nothing')
    // A dies: it stops renewing and releases nothing
    leaseEnd = Date.parse(A.leader.holder()!.expiresAt)
    killedAt = new Date().toISOString()
    await A.kill()
    await until(() => B.leader.isLeader(), 4 * LEASE_MS, 'B leading')
    // when B's own log says it took the lease (not when this test noticed)
    tookOverAt = Date.parse(B.logs.find((l) => l.includes('serve: leader now'))!.split(' ')[0]!)
    await until(() => firedSlots(B.logs, 'tick').length >= 3, 10_000, 'B firing')
  } finally {
    await B.stop()
    await A.stop().catch(() => undefined)
  }
  assert.ok(tookOverAt >= leaseEnd, `B took over only once A's lease ran out (${new Date(tookOverAt).toISOString()} vs ${new Date(leaseEnd).toISOString()})`)
  assert.ok(tookOverAt <= leaseEnd + LEASE_MS, 'and within a lease after it')
  const fromA = firedSlots(A.logs, 'tick')
  const fromB = firedSlots(B.logs, 'tick')
  const all = [...fromA, ...fromB]
  assert.equal(new Set(all).size, all.length, `no slot twice: A ${fromA.join(' ')} / B ${fromB.join(' ')}`)
  assert.ok(fromA.every((s) => s <= killedAt) && fromB.every((s) => s > killedAt), 'A before its death, B after')
  const cron = cronOf('*/1 * * * * *')
  for (const s of all) assert.ok(cron.match(new Date(s)))
  // what each store holds agrees with the logs: one job per slot
  assert.equal(jobsOf(A).length, fromA.length)
  assert.equal(jobsOf(B).length, fromB.length)
  // while A led, no slot was lost: consecutive seconds
  for (let i = 1; i < fromA.length; i++) assert.equal(Date.parse(fromA[i]!) - Date.parse(fromA[i - 1]!), 1000, `consecutive slots ${fromA[i - 1]} ${fromA[i]}`)
  const doc = await new S3ScheduleState({backend: 's3', bucket: 'serve-shared', endpoint}, 'sched').read()
  assert.equal(doc.schedules.tick!.slot, fromB.at(-1), 'the shared document holds the last slot fired')
})

test('a leader whose lease was replaced behind its back stops leading at its next renewal', {skip: !haveMoto && 'moto_server is not installed'}, async () => {
  const {openLeader} = await import('../../src/serve/leader.js')
  const m = await import('@aws-sdk/client-s3')
  const c = new m.S3Client({region: 'us-east-1', endpoint, forcePathStyle: true, credentials: TEST_CREDS})
  const state = `state: {backend: s3, bucket: serve-shared, prefix: steal/, endpoint: "${endpoint}"}\n`
  const a = project('  x:\n    cron: "@daily"\n    run: {command: "true"}\n', state)
  const logs: string[] = []
  const leader = await openLeader({projectDir: a.dir, planFile: a.plan, log: (l) => logs.push(l), leaseMs: 1500})
  try {
    assert.equal(leader.isLeader(), true)
    const body = await (await c.send(new m.GetObjectCommand({Bucket: 'serve-shared', Key: 'steal/sched/serve.lease'}))).Body!.transformToString()
    assert.equal(JSON.parse(body).owner, `${os.hostname()}:${process.pid}`)
    // somebody else writes the lease object (an operator, another server that judged it expired)
    await c.send(new m.PutObjectCommand({Bucket: 'serve-shared', Key: 'steal/sched/serve.lease', Body: JSON.stringify({owner: 'other:1', instance: 'other', pid: 1, host: 'other', acquiredAt: new Date().toISOString(), expiresAt: new Date(Date.now() + 60_000).toISOString(), n: 1})}))
    await until(() => !leader.isLeader(), 3000, 'leadership lost')
    assert.ok(logs.some((l) => /no longer the leader \(the lease .* was taken over\)/.test(l)), logs.join('\n'))
    assert.equal(leader.holder()?.owner, undefined, 'it does not claim to hold it')
    await until(() => leader.holder()?.owner === 'other:1', 3000, 'the new holder named')
  } finally {
    await leader.close()
  }
  // close() did not remove a lease that is not its own
  const left = await c.send(new m.GetObjectCommand({Bucket: 'serve-shared', Key: 'steal/sched/serve.lease'}))
  assert.equal(JSON.parse(await left.Body!.transformToString()).owner, 'other:1')
})

test('a leader process killed with SIGKILL: its lease names a process of this machine that is gone, taken over at once', {skip: !haveMoto && 'moto_server is not installed'}, async () => {
  const state = `state: {backend: s3, bucket: serve-shared, prefix: killed/, endpoint: "${endpoint}"}\n`
  const schedules = '  tick:\n    cron: "*/1 * * * * *"\n    run: {command: "echo tick"}\n'
  const a = project(schedules, state, mkdtempSync(path.join(os.tmpdir(), 'dops-sched-ka-')))
  const b = project(schedules, state, mkdtempSync(path.join(os.tmpdir(), 'dops-sched-kb-')))
  const LONG = 15_000
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'schedule-server.ts'), a.dir, a.plan, String(LONG)], {stdio: ['ignore', 'pipe', 'pipe'], env: {...process.env}})
  let out = ''
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()))
  let B: Server | undefined
  try {
    await until(() => /ready leader/.test(out), 30_000, `the child leading: ${out}`)
    B = await startServer(b.dir, b.plan, LONG)
    assert.equal(B.leader.isLeader(), false, 'the child holds the lease')
    await until(() => /schedule tick: \S+ started job/.test(out), 10_000, 'the child firing')
    const expires = Date.parse(B.leader.holder()!.expiresAt)
    child.kill('SIGKILL')
    await new Promise((r) => child.once('exit', r))
    // its lease has seconds left; the process is gone from this machine: taken at the next attempt
    await until(() => B!.leader.isLeader(), LONG / 3 + 5000, 'B leading after the kill')
    assert.ok(Date.now() < expires, 'before the dead lease ran out')
    await until(() => firedSlots(B!.logs, 'tick').length >= 2, 10_000, 'B firing')
    const fromChild = [...out.matchAll(/schedule tick: (\S+) (?:started job|skipped)/g)].map((m) => m[1]!)
    const fromB = firedSlots(B.logs, 'tick')
    assert.equal(new Set([...fromChild, ...fromB]).size, fromChild.length + fromB.length, 'no slot twice')
    assert.ok(fromB.every((s) => s > fromChild.at(-1)!), 'B goes on after the last slot the child fired')
  } finally {
    child.kill('SIGKILL')
    await B?.stop()
  }
})
