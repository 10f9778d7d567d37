/**
 * ssh_config at connect time, end to end: `dops run` against a real sshd reached only through a ProxyCommand, and
 * several IdentityFile lines tried in order.
 */
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, before, test} from 'node:test'
import {dops, json} from '../helpers.js'
import {startFleet, type Fleet} from '../fleet/fleet.js'

let fleet: Fleet
before(async () => {
  fleet = await startFleet({count: 1})
})
after(async () => {
  await fleet?.stop()
})

// a TCP pipe: stdin/stdout to HOST:PORT, writing "HOST PORT" to a marker file to prove it carried the session
const PIPE = `import net from 'node:net'
import {writeFileSync} from 'node:fs'
const [host, port, marker] = process.argv.slice(2)
writeFileSync(marker, host + ' ' + port)
const s = net.connect(Number(port), host)
process.stdin.pipe(s)
s.pipe(process.stdout)
s.on('close', () => process.exit(0))
`

test('a ProxyCommand host is reached through the command, with %h and %p expanded; a failing one is unreachable', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dops-proxycmd-'))
  const h = fleet.hosts[0]!
  const pipe = path.join(dir, 'pipe.mjs')
  const marker = path.join(dir, 'marker')
  writeFileSync(pipe, PIPE)
  const cfg = path.join(dir, 'ssh_config')
  writeFileSync(
    cfg,
    `Host viaproxy\n  HostName ${h.address}\n  Port ${h.port}\n  ProxyCommand ${process.execPath} ${pipe} %h %p ${marker}\n` +
      `Host broken\n  HostName ${h.address}\n  Port ${h.port}\n  ProxyCommand false\n` +
      `Host *\n  User root\n  IdentityFile ${fleet.clientKey}\n  UserKnownHostsFile ${fleet.knownHosts}\n  StrictHostKeyChecking yes\n`,
  )
  writeFileSync(path.join(dir, 'dops.yml'), `version: 1\nproject: t\nssh:\n  config: ${cfg}\nenvironments:\n  test:\n    groups:\n      g:\n        hosts: [viaproxy, broken]\n`)
  const r = await dops(['run', '--json', '--', 'echo ok'], {cwd: dir})
  const results = json<{results: Array<{host: string; status: string; stdout: string}>}>(r).results
  const by = Object.fromEntries(results.map((x) => [x.host, x]))
  assert.equal(by.viaproxy?.status, 'ok', r.stdout + r.stderr)
  assert.equal(by.viaproxy?.stdout.trim(), 'ok')
  assert.ok(existsSync(marker), 'the session went through the ProxyCommand')
  assert.equal(readFileSync(marker, 'utf8'), `${h.address} ${h.port}`)
  assert.equal(by.broken?.status, 'unreachable', JSON.stringify(by.broken))
  assert.match(String((by.broken as {error?: string}).error), /ProxyCommand `false` exited with 1/)
})

test('several IdentityFile lines: a key the host refuses is followed by the next one, as ssh does', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dops-idfiles-'))
  const h = fleet.hosts[0]!
  const wrong = path.join(dir, 'not-authorized')
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', wrong])
  const cfg = path.join(dir, 'ssh_config')
  writeFileSync(
    cfg,
    `Host two-keys\n  HostName ${h.address}\n  Port ${h.port}\n  IdentityFile ${wrong}\n  IdentityFile ${path.join(dir, 'missing')}\n  IdentityFile ${fleet.clientKey}\n` +
      `Host *\n  User root\n  UserKnownHostsFile ${fleet.knownHosts}\n  StrictHostKeyChecking yes\n`,
  )
  writeFileSync(path.join(dir, 'dops.yml'), `version: 1\nproject: t\nssh:\n  config: ${cfg}\nenvironments:\n  test:\n    groups:\n      g:\n        hosts: [two-keys]\n`)
  const r = await dops(['run', '--json', '--', 'echo ok'], {cwd: dir})
  const res = json<{results: Array<{host: string; status: string; stdout: string}>}>(r).results[0]
  assert.equal(res?.status, 'ok', r.stdout + r.stderr)
  assert.equal(res?.stdout.trim(), 'ok')
})
