/** Pooled SSH connections are shared only by targets reached the same way, as the same user, with the same keys. */
import assert from 'node:assert/strict'
import {test} from 'node:test'
import {poolKey} from '../../src/transport/ssh.js'
import type {SshTarget} from '../../src/transport/ssh-target.js'

const base: SshTarget = {alias: 'db', address: '10.0.0.5', port: 22, user: 'root', identityFiles: ['/k/a'], knownHostsFiles: ['/kh'], globalKnownHostsFiles: [], hostKeyChecking: 'strict', connectTimeoutMs: 1000, keepaliveMs: 0}

test('the same target reached the same way shares; a different route, user, key or host key policy does not', () => {
  assert.equal(poolKey({...base, alias: 'other-alias'}), poolKey(base), 'the alias is only a name')
  const differ: Partial<SshTarget>[] = [
    {proxyJump: 'bastion-a'},
    {proxyCommand: 'ssh -W %h:%p b'},
    {user: 'deploy'},
    {port: 2222},
    {identityFiles: ['/k/b']},
    {knownHostsFiles: ['/other']},
    {hostKeyChecking: 'accept-new'},
    {configFile: '/etc/alt_config'},
  ]
  for (const d of differ) assert.notEqual(poolKey({...base, ...d}), poolKey(base), JSON.stringify(d))
  assert.notEqual(poolKey({...base, proxyJump: 'bastion-a'}), poolKey({...base, proxyJump: 'bastion-b'}), 'two jump hosts to one private address: two connections')
  assert.notEqual(poolKey(base, 'hop-1'), poolKey(base, 'hop-2'), 'through two different hop connections')
  assert.equal(poolKey(base, 'hop-1'), poolKey(base, 'hop-1'))
})
