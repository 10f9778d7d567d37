/**
 * GlobalKnownHostsFile on real sshd hosts (a temporary file named in ssh_config; the machine's /etc/ssh is never
 * touched): a key pinned there is trusted, a different key is refused as changed even with accept-new, and
 * accept-new never writes into it.
 */
import assert from 'node:assert/strict'
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, before, test} from 'node:test'
import {dops, json} from '../helpers.js'
import {startFleet, type Fleet} from './fleet.js'

let fleet: Fleet
before(async () => {
  fleet = await startFleet({count: 2})
})
after(async () => {
  await fleet?.stop()
})

const hostKey = (name: string) => readFileSync(path.join(fleet.dir, 'hosts', name, 'ssh_host_ed25519_key.pub'), 'utf8').split(' ').slice(0, 2).join(' ')

test('a key pinned in GlobalKnownHostsFile is known; another key for that host is a changed key, even with accept-new', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dops-gkh-'))
  const user = path.join(dir, 'user_known_hosts')
  const global = path.join(dir, 'global_known_hosts')
  writeFileSync(user, '')
  const h1 = fleet.hosts[0]!
  const h2 = fleet.hosts[1]!
  // host01 pinned with its own key; host02 pinned with host01's key (a different key than it presents)
  const pinned = `${h1.address} ${hostKey('host01')}\n${h2.address} ${hostKey('host01')}\n`
  writeFileSync(global, pinned)
  const cfg = path.join(dir, 'ssh_config')
  writeFileSync(cfg, fleet.hosts.map((h) => `Host ${h.name}\n  HostName ${h.address}\n`).join('') + `Host *\n  User root\n  IdentityFile ${fleet.clientKey}\n  UserKnownHostsFile ${user}\n  GlobalKnownHostsFile ${global}\n`)
  writeFileSync(path.join(dir, 'dops.yml'), `version: 1\nproject: t\nssh:\n  config: ${cfg}\nenvironments:\n  test:\n    groups:\n      web:\n        hosts: [host01, host02]\n`)
  const r = await dops(['run', '--json', '--host-key-checking', 'accept-new', '--', 'true'], {cwd: dir})
  const res = json<{results: Array<{host: string; status: string; errorKind?: string; error?: string}>}>(r).results
  assert.equal(res[0]!.status, 'ok', res[0]!.error)
  assert.equal(res[1]!.status, 'unreachable')
  assert.equal(res[1]!.errorKind, 'hostkey')
  assert.match(res[1]!.error!, new RegExp(`HOST KEY CHANGED .*${global.replace(/[.]/g, '\\.')}:2`))
  assert.equal(readFileSync(user, 'utf8'), '', 'accept-new learned nothing: both hosts are known globally')
  assert.equal(readFileSync(global, 'utf8'), pinned, 'the global file is never written')
})
