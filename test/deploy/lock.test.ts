/**
 * The deploy lock on a real sshd host: a holder proven dead (a process of this machine, by hostname, boot id, PID
 * namespace, pid and start time) is taken over at once; a live holder, a reused pid's new process aside, a holder of
 * another machine and one that cannot be identified are never taken over before their lease ends.
 */
import assert from 'node:assert/strict'
import {spawn, spawnSync} from 'node:child_process'
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, before, test} from 'node:test'
import {acquireLock} from '../../src/deploy/lock.js'
import {processStart, selfIdentity} from '../../src/deploy/lock-owner.js'
import type {Host} from '../../src/inventory/host.js'
import type {SshTransport} from '../../src/transport/ssh.js'
import {startFleet, type Fleet} from '../fleet/fleet.js'
import {fleetHosts} from './fleet-hosts.js'

let fleet: Fleet
let transport: SshTransport
let hosts: Host[]
before(async () => {
  fleet = await startFleet({count: 1, prefix: 'lk'})
  ;({transport, hosts} = await fleetHosts(fleet, fleet.dir))
})
after(async () => {
  await transport?.close()
  await fleet?.stop()
})

const lockDir = (name: string) => path.join(fleet.hosts[0]!.fsDir, 'var/lib/dops/locks', name)
/** A lock held under a lease that ends in an hour by the given holder. */
function plant(name: string, holder: Record<string, unknown>): string {
  mkdirSync(lockDir(name), {recursive: true})
  const text = JSON.stringify({owner: 'someone', deployment: 'd-holder', acquiredAt: new Date().toISOString(), expiresAt: Math.floor(Date.now() / 1000) + 3600, ...holder})
  writeFileSync(path.join(lockDir(name), 'owner'), text)
  return text
}
const take = async (name: string) => acquireLock({conn: await transport.connect(hosts[0]!), host: hosts[0]!.name, name, deployment: `d-${name}`, waitMs: 0})

test('a lock held by a dead process of this machine is taken over at once, saying whose it was', async () => {
  const me = selfIdentity()!
  const gone = spawnSync('true').pid!
  plant('dead', {...me, pid: gone, start: '12345'})
  const t0 = Date.now()
  const held = await take('dead')
  assert.ok(Date.now() - t0 < 10_000)
  assert.equal(held.takenOver?.deployment, 'd-holder')
  assert.match(held.takenOverBecause ?? '', new RegExp(`process ${gone} on this machine is no longer running`))
  assert.match(readFileSync(path.join(lockDir('dead'), 'owner'), 'utf8'), /"deployment":"d-dead"/)
  await held.release()
})

test('a live holder of this machine is not taken over; its pid reused by another process is', async () => {
  const me = selfIdentity()!
  const child = spawn('sleep', ['60'], {stdio: 'ignore'})
  try {
    await new Promise((r) => setTimeout(r, 100))
    const start = processStart(child.pid!)!
    const text = plant('live', {...me, pid: child.pid, start})
    await assert.rejects(take('live'), /the deploy lock live on .* is held by someone, deployment d-holder/)
    assert.equal(readFileSync(path.join(lockDir('live'), 'owner'), 'utf8'), text, 'untouched')
    plant('reused', {...me, pid: child.pid, start: String(Number(start) - 1)})
    const held = await take('reused')
    assert.match(held.takenOverBecause ?? '', /its pid now belongs to another process/)
  } finally {
    child.kill()
  }
})

test('a holder of another machine, or one without an identity, is never taken over before its lease ends', async () => {
  const me = selfIdentity()!
  const gone = spawnSync('true').pid!
  for (const [name, holder] of [
    ['other-boot', {...me, pid: gone, bootId: '00000000-0000-0000-0000-000000000000'}],
    ['other-host', {...me, pid: gone, hostname: `${os.hostname()}-twin`}],
    ['other-pidns', {...me, pid: gone, pidNs: 'pid:[1]'}],
    ['no-identity', {owner: `root@${os.hostname()} pid ${gone}`}],
  ] as const) {
    const text = plant(name, holder)
    await assert.rejects(take(name), /is held by/, name)
    assert.equal(readFileSync(path.join(lockDir(name), 'owner'), 'utf8'), text, `${name}: untouched`)
  }
})
