/**
 * `dops run` end to end: the built CLI against real sshd hosts of a test fleet.
 */
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, before, test} from 'node:test'
import {dops, json} from '../helpers.js'
import {startFleet, type Fleet} from './fleet.js'

interface Journal {
  runId: string
  exitCode: number
  summary: {total: number; ok: number; failed: number; unreachable: number; timedout: number; skipped: number}
  results: Array<{host: string; status: string; exitCode: number | null; stdout: string; stderr: string; durationMs: number; error?: string; errorKind?: string; warning?: string; batch: number}>
  stopped?: {reason: string}
}

let fleet: Fleet
const N = 8
before(async () => {
  fleet = await startFleet({count: N})
})
after(async () => {
  await fleet?.stop()
})

const project = () => mkdtempSync(path.join(os.tmpdir(), 'dops-proj-'))
const run = (args: string[], cwd = project(), extra: string[] = []) => dops(['run', '-i', fleet.inventoryIni, '--known-hosts', fleet.knownHosts, ...extra, ...args], {cwd})
const byHost = (j: Journal) => Object.fromEntries(j.results.map((r) => [r.host, r]))
const hostFile = (i: number, rel: string) => path.join(fleet.hosts[i]!.fsDir, rel)

test('a command runs on every host; --json gives exit code, stdout, stderr and duration per host', async () => {
  const r = await run(['--json', '--', 'hostname; echo to-stderr >&2'])
  assert.equal(r.code, 0, r.stderr)
  const j = json<Journal & {durationMs: number}>(r)
  assert.equal(j.summary.ok, N)
  assert.ok(Number.isInteger(j.durationMs) && j.results.every((res) => Number.isInteger(res.durationMs)), 'durations are whole milliseconds')
  for (const res of j.results) {
    assert.equal(res.stdout, `${res.host}\n`)
    assert.equal(res.stderr, 'to-stderr\n')
    assert.equal(res.exitCode, 0)
    assert.ok(res.durationMs > 0)
  }
})

test('grouped output by default, live host-prefixed lines with --stream, a summary on stderr', async () => {
  const grouped = await run(['-H', 'host01,host02', '--', 'echo one; echo two'])
  assert.equal(grouped.code, 0)
  assert.match(grouped.stdout, /── host01 127\.0\.\d+\.2 ok .*\none\ntwo/)
  assert.match(grouped.stderr, /2 hosts: 2 ok, 0 failed, 0 unreachable, 0 timed out/)
  const streamed = await run(['--stream', '-H', 'host03', '--', 'echo one; echo two >&2'])
  assert.equal(streamed.code, 0)
  assert.match(streamed.stdout, /^host03 \| one$/m)
  assert.match(streamed.stdout, /^host03 \| two$/m)
  assert.doesNotMatch(streamed.stdout + streamed.stderr, /\x1b\[/, 'no control codes when not on a terminal')
})

test('a command failing on some hosts gives exit code 3 and per-host results', async () => {
  const r = await run(['--json', '--', 'case $(hostname) in host01|host02) echo bad >&2; exit 7;; esac; echo fine'])
  assert.equal(r.code, 3)
  const j = json<Journal>(r)
  assert.equal(j.exitCode, 3)
  assert.deepEqual([j.summary.ok, j.summary.failed], [N - 2, 2])
  const h = byHost(j)
  assert.equal(h.host01!.status, 'failed')
  assert.equal(h.host01!.exitCode, 7)
  assert.equal(h.host01!.stderr, 'bad\n')
  assert.equal(h.host03!.stdout, 'fine\n')
  const none = await run(['--json', '--', 'exit 1'])
  assert.equal(none.code, 4, 'no host succeeded')
})

test('an unreachable host is reported as such while the others succeed', async () => {
  await fleet.stopHost('host08')
  try {
    const r = await run(['--json', '--', 'true'])
    assert.equal(r.code, 3)
    const j = json<Journal>(r)
    assert.equal(byHost(j).host08!.status, 'unreachable')
    assert.match(byHost(j).host08!.error!, /cannot connect to host08 \(root@127\.0\.\d+\.9:22\)/)
    assert.equal(j.summary.ok, N - 1)
    const only = await run(['--json', '-H', 'host08', '--', 'true'])
    assert.equal(only.code, 4, 'none reached')
  } finally {
    await fleet.startHost('host08')
  }
})

test('a timeout kills the remote command and everything it started', async () => {
  const r = await run(['--json', '-H', 'host01', '--timeout', '2s', '--', 'sleep 300 & sleep 301; echo never'])
  assert.equal(r.code, 4)
  const res = json<Journal>(r).results[0]!
  assert.equal(res.status, 'timedout')
  assert.doesNotMatch(res.stdout, /never/)
  assert.ok(res.durationMs < 60_000)
  const left = await run(['--json', '-H', 'host01', '--', 'ps -eo args | grep -c "^sleep 30[01]" || true'])
  assert.equal(json<Journal>(left).results[0]!.stdout.trim(), '0', 'no sleep left on the host')
})

test('a command that leaves a background process holding its output does not hang the run', async () => {
  const r = await run(['--json', '-H', 'host02', '--', 'sleep 30 & echo started'])
  assert.equal(r.code, 0)
  const res = json<Journal>(r).results[0]!
  assert.equal(res.stdout, 'started\n')
  assert.match(res.warning ?? '', /kept stdout\/stderr open/)
  assert.ok(res.durationMs < 20_000)
})

test('the failure budget stops a rolling run: no new host starts', async () => {
  const tag = `budget${Date.now()}`
  const r = await run(['--json', '--batch', '2', '--max-failures', '1', '--', `touch /srv/${tag}; case $(hostname) in host01|host02|host03) exit 1;; esac`])
  assert.equal(r.code, 5)
  const j = json<Journal>(r)
  assert.equal(j.stopped?.reason, 'budget')
  assert.deepEqual([j.summary.failed, j.summary.skipped], [2, N - 2])
  for (let i = 0; i < N; i++) assert.equal(existsSync(hostFile(i, `srv/${tag}`)), i < 2, `host${i + 1} ran: ${i < 2}`)
  const pct = await run(['--json', '--batch', '25%', '--max-failures', '25%', '--', 'case $(hostname) in host01|host02|host05) exit 1;; esac'])
  const pj = json<Journal>(pct)
  // 25% of 8 = budget 2; batches of 2: host05 is the third failure, in batch 3; batch 4 never starts
  assert.equal(pct.code, 5)
  assert.deepEqual(pj.results.map((x) => x.status), ['failed', 'failed', 'ok', 'ok', 'failed', 'ok', 'skipped', 'skipped'])
})

test('--retry-failed runs again on exactly the hosts that failed', async () => {
  const cwd = project()
  const tag = `retry${Date.now()}`
  for (let i = 0; i < 5; i++) writeFileSync(hostFile(i, `srv/allow-${tag}`), '')
  await fleet.stopHost('host08')
  const first = await run(['--json', '--', `echo x >> /srv/count-${tag}; test -e /srv/allow-${tag}`], cwd)
  await fleet.startHost('host08')
  assert.equal(first.code, 3)
  const fj = json<Journal>(first)
  assert.deepEqual(fj.results.filter((x) => x.status !== 'ok').map((x) => x.host), ['host06', 'host07', 'host08'])
  for (let i = 5; i < N; i++) writeFileSync(hostFile(i, `srv/allow-${tag}`), '')
  const second = await dops(['run', '--retry-failed', '--json'], {cwd})
  assert.equal(second.code, 0, second.stderr)
  const sj = json<Journal>(second)
  assert.deepEqual(sj.results.map((x) => x.host), ['host06', 'host07', 'host08'])
  const counts = fleet.hosts.map((_, i) => (existsSync(hostFile(i, `srv/count-${tag}`)) ? readFileSync(hostFile(i, `srv/count-${tag}`), 'utf8').split('\n').filter(Boolean).length : 0))
  assert.deepEqual(counts, [1, 1, 1, 1, 1, 2, 2, 1])
  const byId = await dops(['run', '--retry-failed', fj.runId, '--json'], {cwd})
  assert.equal(json<Journal>(byId).results.length, 3, 'retry of an explicit run id')
  const nothing = await dops(['run', '--retry-failed', '--json'], {cwd})
  assert.equal(nothing.code, 7, 'the last run had no failures: nothing to retry')
  assert.equal(readdirSync(path.join(cwd, '.dops', 'runs')).length, 3)
})

test('a local script is uploaded and run with arguments quoted; --run-as uses sudo', async () => {
  const dir = project()
  const script = path.join(dir, 'args.sh')
  writeFileSync(script, '#!/bin/sh\nfor a in "$@"; do printf "<%s>\\n" "$a"; done\nid -un\n')
  const r = await run(['--json', '-H', 'host04', '--script', script, '--', 'a b', "c'd", '$(touch /srv/pwned)', '*'], dir)
  assert.equal(r.code, 0, r.stderr)
  assert.equal(json<Journal>(r).results[0]!.stdout, "<a b>\n<c'd>\n<$(touch /srv/pwned)>\n<*>\nroot\n")
  assert.equal(existsSync(hostFile(3, 'srv/pwned')), false)
  assert.deepEqual(readdirSync(hostFile(3, 'tmp')).filter((f) => f.startsWith('dops-script')), [], 'the uploaded script is removed')
  const as = await run(['--json', '-H', 'host04', '--run-as', 'nobody', '--', 'id -un'], dir)
  assert.equal(json<Journal>(as).results[0]!.stdout, 'nobody\n', as.stdout)
})

test('host keys: unknown keys refused by default; accept-new records them; hashed known_hosts verify', async () => {
  const dir = project()
  const empty = path.join(dir, 'kh-empty')
  writeFileSync(empty, '')
  const strict = await dops(['run', '-i', fleet.inventoryIni, '--known-hosts', empty, '--json', '-H', 'host01', '--', 'true'], {cwd: dir})
  assert.equal(strict.code, 4)
  assert.match(json<Journal>(strict).results[0]!.error!, /unknown host key for 127\.0\.\d+\.2:22 \(ssh-ed25519 SHA256:/)
  const learned = path.join(dir, 'kh-learned')
  const acc = await dops(['run', '-i', fleet.inventoryIni, '--known-hosts', learned, '--host-key-checking', 'accept-new', '--json', '--', 'true'], {cwd: dir})
  assert.equal(acc.code, 0, acc.stderr)
  assert.equal(readFileSync(learned, 'utf8').trim().split('\n').length, N)
  const again = await dops(['run', '-i', fleet.inventoryIni, '--known-hosts', learned, '--json', '--', 'true'], {cwd: dir})
  assert.equal(again.code, 0, 'the recorded keys verify in strict mode')
  const hashed = path.join(dir, 'kh-hashed')
  copyFileSync(fleet.knownHosts, hashed)
  execFileSync('ssh-keygen', ['-q', '-H', '-f', hashed])
  assert.doesNotMatch(readFileSync(hashed, 'utf8'), /127\.0\./)
  const h = await dops(['run', '-i', fleet.inventoryIni, '--known-hosts', hashed, '--json', '--', 'true'], {cwd: dir})
  assert.equal(h.code, 0, h.stdout)
})

test('a plan with ssh_config aliases and a ProxyJump host', async () => {
  const dir = project()
  const cfg = path.join(dir, 'ssh_config')
  writeFileSync(cfg, readFileSync(fleet.sshConfig, 'utf8').replace('Host host03\n', 'Host host03\n  ProxyJump host02\n'))
  writeFileSync(
    path.join(dir, 'dops.yml'),
    `version: 1\nproject: t\nssh:\n  config: ${cfg}\nenvironments:\n  test:\n    groups:\n      web:\n        hosts: [host01, host03]\n        labels: {role: web}\n      db:\n        hosts: [host04]\n`,
  )
  const r = await dops(['run', '--json', '-l', 'role=web', '--', 'hostname'], {cwd: dir})
  assert.equal(r.code, 0, r.stdout + r.stderr)
  assert.deepEqual(json<Journal>(r).results.map((x) => x.stdout.trim()), ['host01', 'host03'])
  await fleet.stopHost('host02')
  try {
    const viaJump = await dops(['run', '--json', '-g', 'web', '--', 'hostname'], {cwd: dir})
    const h = byHost(json<Journal>(viaJump))
    assert.equal(h.host01!.status, 'ok')
    assert.equal(h.host03!.status, 'unreachable', 'host03 is reached only through its jump host')
  } finally {
    await fleet.startHost('host02')
  }
  const hosts = await dops(['hosts', '--json'], {cwd: dir})
  assert.deepEqual(json<{hosts: Array<{name: string; group: string}>}>(hosts).hosts.map((x) => `${x.group}/${x.name}`), ['web/host01', 'web/host03', 'db/host04'])
})

test('secrets from the environment are redacted from output and the journal', async () => {
  const dir = project()
  writeFileSync(
    path.join(dir, 'dops.yml'),
    `version: 1\nproject: t\nssh:\n  config: ${fleet.sshConfig}\nenvironments:\n  test:\n    vars:\n      token: \${env:DOPS_T_TOKEN}\n    groups:\n      web:\n        hosts: [host01]\n`,
  )
  const r = await dops(['run', '--json', '--', 'echo the token is s3cr3t-v4lue'], {cwd: dir, env: {DOPS_T_TOKEN: 's3cr3t-v4lue'}})
  assert.equal(r.code, 0, r.stderr)
  assert.doesNotMatch(r.stdout, /s3cr3t-v4lue/)
  assert.match(json<Journal>(r).results[0]!.stdout, /the token is \*\*\*/)
  const journal = readdirSync(path.join(dir, '.dops', 'runs'))[0]!
  assert.doesNotMatch(readFileSync(path.join(dir, '.dops', 'runs', journal), 'utf8'), /s3cr3t-v4lue/)
  const missing = await dops(['run', '--', 'true'], {cwd: dir, env: {DOPS_T_TOKEN: undefined}})
  assert.equal(missing.code, 2)
  assert.match(missing.stderr, /dops\.yml:8:14: environment variable DOPS_T_TOKEN is not set/)
})

test('bad input exits 2 before touching any host; an empty selection exits 7', async () => {
  const cwd = project()
  const tag = `bad${Date.now()}`
  for (const args of [['--batch', 'lots'], ['--max-failures', '150%'], ['--timeout', 'soon']]) {
    const r = await run([...args, '--', `touch /srv/${tag}`], cwd)
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`)
    assert.doesNotMatch(r.stderr, /\n\s+at /)
  }
  assert.equal(fleet.hosts.some((_, i) => existsSync(hostFile(i, `srv/${tag}`))), false)
  assert.equal(existsSync(path.join(cwd, '.dops', 'runs')), false)
  const none = await run(['-H', 'nosuchhost', '--', 'true'], cwd)
  assert.equal(none.code, 7)
  const nocmd = await run([], cwd)
  assert.equal(nocmd.code, 2)
  assert.match(nocmd.stderr, /nothing to run/)
})

test('an encrypted key with its passphrase from the environment, and ssh-agent', async () => {
  const dir = project()
  const key = path.join(dir, 'enc_key')
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'correct horse', '-f', key])
  writeFileSync(path.join(fleet.dir, 'authorized_keys'), readFileSync(fleet.clientKey + '.pub', 'utf8') + readFileSync(key + '.pub', 'utf8'))
  const h = fleet.hosts[0]!
  const plan = (ssh: string) => `version: 1\nproject: t\nssh:\n  user: root\n  config: false\n  knownHosts: [${fleet.knownHosts}]\n${ssh}environments:\n  t:\n    groups:\n      g:\n        hosts: [${h.address}]\n`
  writeFileSync(path.join(dir, 'dops.yml'), plan(`  identityFile: ${key}\n  passphraseEnv: DOPS_T_PASS\n`))
  const ok = await dops(['run', '--json', '--', 'echo in'], {cwd: dir, env: {DOPS_T_PASS: 'correct horse'}})
  assert.equal(ok.code, 0, ok.stdout + ok.stderr)
  const noPass = await dops(['run', '--json', '--', 'true'], {cwd: dir, env: {DOPS_T_PASS: undefined}})
  assert.equal(noPass.code, 4)
  const res = json<Journal>(noPass).results[0]!
  assert.equal(res.errorKind, 'config')
  assert.match(res.error!, /passphrase/i)
  assert.doesNotMatch(noPass.stdout, /correct horse/)

  const sock = path.join(dir, 'agent.sock')
  const agentPid = Number(/SSH_AGENT_PID=(\d+)/.exec(execFileSync('ssh-agent', ['-a', sock]).toString())![1])
  try {
    execFileSync('ssh-add', ['-q', fleet.clientKey], {env: {...process.env, SSH_AUTH_SOCK: sock}, stdio: 'ignore'})
    writeFileSync(path.join(dir, 'dops.yml'), plan(''))
    const viaAgent = await dops(['run', '--json', '--', 'echo agent'], {cwd: dir, env: {SSH_AUTH_SOCK: sock}})
    assert.equal(viaAgent.code, 0, viaAgent.stdout)
    const noAgent = await dops(['run', '--json', '--', 'true'], {cwd: dir, env: {SSH_AUTH_SOCK: ''}})
    assert.equal(noAgent.code, 4)
    assert.match(json<Journal>(noAgent).results[0]!.error!, /no identity file configured and no ssh-agent/)
  } finally {
    process.kill(agentPid)
  }
})

test('plan defaults: ssh.commandTimeout applies when --timeout is not given', async () => {
  const dir = project()
  writeFileSync(path.join(dir, 'dops.yml'), `version: 1\nproject: t\nssh:\n  config: ${fleet.sshConfig}\n  commandTimeout: 1s\nenvironments:\n  t:\n    groups:\n      g:\n        hosts: [host06]\n`)
  const r = await dops(['run', '--json', '--', 'sleep 20'], {cwd: dir})
  assert.equal(json<Journal>(r).results[0]!.status, 'timedout')
})

test('a changed host key is refused, naming the host and both fingerprints', async () => {
  const before = execFileSync('ssh-keygen', ['-l', '-f', path.join(fleet.dir, 'hosts/host05/ssh_host_ed25519_key.pub')]).toString().split(' ')[1]!
  await fleet.stopHost('host05')
  await fleet.rekeyHost('host05')
  await fleet.startHost('host05')
  const now = execFileSync('ssh-keygen', ['-l', '-f', path.join(fleet.dir, 'hosts/host05/ssh_host_ed25519_key.pub')]).toString().split(' ')[1]!
  assert.notEqual(before, now)
  const r = await run(['--json', '--host-key-checking', 'accept-new', '--', 'true'])
  assert.equal(r.code, 3)
  const res = byHost(json<Journal>(r)).host05!
  assert.equal(res.status, 'unreachable')
  assert.equal(res.errorKind, 'hostkey')
  assert.match(res.error!, /HOST KEY CHANGED for 127\.0\.\d+\.6:22/)
  assert.ok(res.error!.includes(now) && res.error!.includes(before), res.error)
  assert.doesNotMatch(readFileSync(fleet.knownHosts, 'utf8'), new RegExp(now.replace(/[+/]/g, '.')), 'known_hosts was not changed')
})
