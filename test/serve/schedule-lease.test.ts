/**
 * The serve lease with the local state backend: one leader among several servers of a project; a leader that dies
 * without releasing is replaced once its lease ran out, a lease left by a process that is gone at once; a clean
 * stop hands over at the next attempt; a garbage lease file is replaced.
 */
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {test} from 'node:test'
import {openLeader, type LeaderHandle} from '../../src/serve/leader.js'
import {LocalLease, LocalScheduleState} from '../../src/serve/lease-local.js'
import {project, until} from './schedule-helpers.js'

const plan = () => project('  x:\n    cron: "@daily"\n    run: {command: "true"}\n')
const open = (dir: string, file: string, logs: string[] = []) => openLeader({projectDir: dir, planFile: file, log: (l) => logs.push(`${new Date().toISOString()} ${l}`), leaseMs: 1200})
const leaseFile = (dir: string) => path.join(dir, '.dops', 'serve', 'serve.lease')

test('three servers of one project: exactly one leads at any time, the others name it', async () => {
  const {dir, plan: file} = plan()
  const servers: LeaderHandle[] = []
  for (let i = 0; i < 3; i++) servers.push(await open(dir, file))
  try {
    for (let i = 0; i < 20; i++) {
      assert.equal(servers.filter((s) => s.isLeader()).length, 1, 'one leader')
      await new Promise((r) => setTimeout(r, 100))
    }
    const lead = servers.find((s) => s.isLeader())!
    const onDisk = JSON.parse(readFileSync(leaseFile(dir), 'utf8')) as {owner: string; expiresAt: string}
    assert.equal(lead.holder()!.owner, onDisk.owner)
    for (const s of servers.filter((x) => x !== lead)) await until(() => s.holder()?.owner === onDisk.owner, 3000, 'followers name the holder')
  } finally {
    for (const s of servers) await s.close()
  }
})

test('a dead leader (no release) is replaced after its lease ran out, never before; a clean stop releases', async () => {
  const {dir, plan: file} = plan()
  const aLogs: string[] = []
  const bLogs: string[] = []
  const a = await open(dir, file, aLogs)
  const b = await open(dir, file, bLogs)
  try {
    assert.ok(a.isLeader() && !b.isLeader())
    const expires = Date.parse(JSON.parse(readFileSync(leaseFile(dir), 'utf8')).expiresAt)
    await a.close({release: false})
    await until(() => b.isLeader(), 5000, 'b leading')
    const took = Date.parse(bLogs.find((l) => l.includes('leader now'))!.split(' ')[0]!)
    assert.ok(took >= expires, 'not before the dead leader\'s lease ran out')
    await b.close()
    assert.throws(() => readFileSync(leaseFile(dir)), /ENOENT/, 'released on a clean stop')
  } finally {
    await a.close()
    await b.close()
  }
})

test('a lease left by a process that is gone is taken at once; a garbage lease file is replaced', async () => {
  const {dir, plan: file} = plan()
  const dead = spawnSync('sh', ['-c', 'echo $$']).stdout.toString().trim()
  mkdirSync(path.dirname(leaseFile(dir)), {recursive: true})
  writeFileSync(leaseFile(dir), JSON.stringify({owner: `${os.hostname()}:${dead}`, instance: 'old', pid: Number(dead), host: os.hostname(), acquiredAt: new Date().toISOString(), expiresAt: new Date(Date.now() + 3600_000).toISOString(), n: 1}))
  const a = await open(dir, file)
  assert.ok(a.isLeader(), 'a dead pid on this machine holds nothing')
  await a.close()
  writeFileSync(leaseFile(dir), '{"cut sh')
  const b = await open(dir, file)
  assert.ok(b.isLeader(), 'an unreadable lease is replaced')
  await b.close()
  // a live holder with time left is respected
  writeFileSync(leaseFile(dir), JSON.stringify({owner: 'elsewhere:1', instance: 'other', pid: process.pid, host: os.hostname(), acquiredAt: new Date().toISOString(), expiresAt: new Date(Date.now() + 3600_000).toISOString(), n: 1}))
  const c = await open(dir, file)
  assert.ok(!c.isLeader())
  assert.equal(c.holder()?.owner, 'elsewhere:1')
  await c.close()
  assert.equal(JSON.parse(readFileSync(leaseFile(dir), 'utf8')).owner, 'elsewhere:1', 'close() leaves a lease that is not its own')
})

test('20 concurrent takeovers of one expired lease: exactly one wins', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dops-lease-race-'))
  mkdirSync(path.dirname(leaseFile(dir)), {recursive: true})
  writeFileSync(leaseFile(dir), JSON.stringify({owner: 'x:1', instance: 'old', pid: 1, host: 'elsewhere', acquiredAt: '2020-01-01T00:00:00Z', expiresAt: '2020-01-01T00:00:30Z', n: 1}))
  const {freshRecord} = await import('../../src/serve/lease-common.js')
  const results = await Promise.all(Array.from({length: 20}, (_, i) => new LocalLease(dir).tryTake(freshRecord(`racer-${i}`, 10_000))))
  assert.equal(results.filter((r) => r.held).length, 1, 'one holder')
  const winner = JSON.parse(readFileSync(leaseFile(dir), 'utf8')).instance
  assert.match(winner, /^racer-\d+$/)
  // the shared schedule document: 20 concurrent updates, none lost
  const st = new LocalScheduleState(dir)
  await Promise.all(Array.from({length: 20}, (_, i) => st.update((d) => ({...d, schedules: {...d.schedules, [`s${i}`]: {slot: `2026-01-01T00:00:${String(i).padStart(2, '0')}.000Z`}}}))))
  assert.equal(Object.keys((await st.read()).schedules).length, 20)
})

test('the lease length: DOPS_SERVE_LEASE_MS, else 30 s', async () => {
  const {dir, plan: file} = plan()
  const length = () => {
    const r = JSON.parse(readFileSync(leaseFile(dir), 'utf8')) as {acquiredAt: string; expiresAt: string}
    return Date.parse(r.expiresAt) - Date.parse(r.acquiredAt)
  }
  const a = await openLeader({projectDir: dir, planFile: file, log: () => {}})
  assert.equal(length(), 30_000)
  await a.close()
  process.env.DOPS_SERVE_LEASE_MS = '4500'
  try {
    const b = await openLeader({projectDir: dir, planFile: file, log: () => {}})
    assert.equal(length(), 4500)
    await b.close()
  } finally {
    delete process.env.DOPS_SERVE_LEASE_MS
  }
})
