import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {test} from 'node:test'
import {KnownHosts, fingerprint} from '../../src/transport/known-hosts.js'

const dir = mkdtempSync(path.join(os.tmpdir(), 'kh-'))
function newKey(name: string): Buffer {
  const f = path.join(dir, name)
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', f])
  return Buffer.from(readFileSync(f + '.pub', 'utf8').split(' ')[1]!, 'base64')
}
const k1 = newKey('k1')
const k2 = newKey('k2')
const line = (host: string, k: Buffer) => `${host} ssh-ed25519 ${k.toString('base64')}`

test('plain, [host]:port, wildcard and negated entries', async () => {
  const f = path.join(dir, 'plain')
  writeFileSync(f, ['# comment', line('a.example,10.0.0.1', k1), line('[b.example]:2222', k1), line('*.wild,!no.wild', k1), ''].join('\n'))
  const kh = await KnownHosts.load([f])
  assert.equal(kh.verify('a.example', 22, k1).status, 'match')
  assert.equal(kh.verify('10.0.0.1', 22, k1).status, 'match')
  assert.equal(kh.verify('b.example', 2222, k1).status, 'match')
  assert.equal(kh.verify('b.example', 22, k1).status, 'unknown')
  assert.equal(kh.verify('x.wild', 22, k1).status, 'match')
  assert.equal(kh.verify('no.wild', 22, k1).status, 'unknown')
  const changed = kh.verify('a.example', 22, k2)
  assert.equal(changed.status, 'changed')
  assert.equal(changed.status === 'changed' && fingerprint(changed.expected[0]!.blob), fingerprint(k1))
})

test('hashed entries written by ssh-keygen -H verify', async () => {
  const f = path.join(dir, 'hashed')
  writeFileSync(f, [line('h1.example', k1), line('[h2.example]:2200', k2), ''].join('\n'))
  execFileSync('ssh-keygen', ['-q', '-H', '-f', f])
  assert.ok(!readFileSync(f, 'utf8').includes('h1.example'), 'file is hashed')
  const kh = await KnownHosts.load([f])
  assert.equal(kh.verify('h1.example', 22, k1).status, 'match')
  assert.equal(kh.verify('h2.example', 2200, k2).status, 'match')
  assert.equal(kh.verify('h1.example', 22, k2).status, 'changed')
  assert.equal(kh.verify('h3.example', 22, k1).status, 'unknown')
})

test('@revoked keys are refused', async () => {
  const f = path.join(dir, 'revoked')
  writeFileSync(f, `@revoked * ssh-ed25519 ${k2.toString('base64')}\n${line('r.example', k1)}\n`)
  const kh = await KnownHosts.load([f])
  assert.equal(kh.verify('r.example', 22, k2).status, 'revoked')
  assert.equal(kh.verify('r.example', 22, k1).status, 'match')
})

test('learning 200 keys at once writes 200 whole lines', async () => {
  const f = path.join(dir, 'learn', 'known_hosts')
  const kh = await KnownHosts.load([f])
  await Promise.all(Array.from({length: 200}, (_, i) => kh.learn(`10.1.${i >> 8}.${i & 255}`, 22, i % 2 ? k1 : k2)))
  const lines = readFileSync(f, 'utf8').trim().split('\n')
  assert.equal(lines.length, 200)
  const again = await KnownHosts.load([f])
  for (let i = 0; i < 200; i++) assert.equal(again.verify(`10.1.${i >> 8}.${i & 255}`, 22, i % 2 ? k1 : k2).status, 'match')
})

test('GlobalKnownHostsFile: the default list and ssh_config values are those `ssh -G` reports', async () => {
  const {DEFAULT_GLOBAL_KNOWN_HOSTS, resolveTarget} = await import('../../src/transport/ssh-target.js')
  const {SshConfigFile} = await import('../../src/transport/ssh-config.js')
  const sshG = (config: string) => /^globalknownhostsfile (.*)$/m.exec(execFileSync('ssh', ['-F', config, '-G', 'h.example'], {stdio: ['ignore', 'pipe', 'ignore']}).toString())![1]!.split(' ')
  assert.deepEqual(DEFAULT_GLOBAL_KNOWN_HOSTS, sshG('/dev/null'))
  const host = {name: 'h.example', address: 'h.example', group: 'g', groups: ['g'], labels: {}, vars: {}}
  assert.deepEqual(resolveTarget(host, SshConfigFile.empty(), {projectDir: dir}).globalKnownHostsFiles, sshG('/dev/null'))
  const cfg = path.join(dir, 'ssh_config')
  writeFileSync(cfg, `Host h.example\n  GlobalKnownHostsFile ${dir}/g1 ${dir}/g2\n`)
  assert.deepEqual(resolveTarget(host, SshConfigFile.read(cfg, true), {projectDir: dir}).globalKnownHostsFiles, sshG(cfg))
  writeFileSync(cfg, 'Host h.example\n  GlobalKnownHostsFile none\n')
  assert.deepEqual(sshG(cfg), ['none'])
  assert.deepEqual(resolveTarget(host, SshConfigFile.read(cfg, true), {projectDir: dir}).globalKnownHostsFiles, [])
})

test('a key pinned in a global file is known; a different key is a changed key; learning never writes there', async () => {
  const user = path.join(dir, 'user-kh')
  const global = path.join(dir, 'global-kh')
  writeFileSync(user, '')
  writeFileSync(global, line('g.example', k1) + '\n')
  const kh = await KnownHosts.load([user], [global])
  assert.equal(kh.verify('g.example', 22, k1).status, 'match')
  const changed = kh.verify('g.example', 22, k2)
  assert.equal(changed.status, 'changed')
  assert.equal(changed.status === 'changed' && changed.expected[0]!.file, global)
  assert.equal(await kh.learn('new.example', 22, k2), user)
  assert.equal(readFileSync(global, 'utf8'), line('g.example', k1) + '\n')
})
