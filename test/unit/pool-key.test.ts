/** Pooled SSH connections are shared only by targets reached the same way, as the same user. */
import assert from 'node:assert/strict'
import {test} from 'node:test'
import {poolKey} from '../../src/transport/ssh.js'
import type {SshTarget} from '../../src/transport/ssh-target.js'

const base: SshTarget = {alias: 'db', address: '10.0.0.5', port: 22, user: 'root', identityFiles: ['/k/a'], knownHostsFiles: ['/kh'], globalKnownHostsFiles: [], hostKeyChecking: 'strict', connectTimeoutMs: 1000, keepaliveMs: 0}

test('the same user@host:port reached the same way shares; a different route or user does not', () => {
  assert.equal(poolKey({...base, alias: 'other-alias'}), poolKey(base), 'the alias is only a name')
  // keys and known_hosts only make a connection: an authenticated one is reused, as OpenSSH's ControlMaster does
  assert.equal(poolKey({...base, identityFiles: []}), poolKey(base), 'a jump host reached before as a target is that session')
  assert.equal(poolKey({...base, hostKeyChecking: 'accept-new'}), poolKey(base))
  const differ: Partial<SshTarget>[] = [
    {proxyJump: 'bastion-a'},
    {proxyCommand: 'ssh -W %h:%p b'},
    {user: 'deploy'},
    {port: 2222},
    {configFile: '/etc/alt_config'},
  ]
  for (const d of differ) assert.notEqual(poolKey({...base, ...d}), poolKey(base), JSON.stringify(d))
  assert.notEqual(poolKey({...base, proxyJump: 'bastion-a'}), poolKey({...base, proxyJump: 'bastion-b'}), 'two jump hosts to one private address: two connections')
  assert.notEqual(poolKey(base, 'hop-1'), poolKey(base, 'hop-2'), 'through two different hop connections')
  assert.equal(poolKey(base, 'hop-1'), poolKey(base, 'hop-1'))
})
