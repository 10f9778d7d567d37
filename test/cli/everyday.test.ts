/**
 * The everyday commands: `dops init` (each shape validates; nothing is overwritten without --force), `dops ssh` and
 * `dops exec` on the real sshd fleet (OpenSSH's own resolution and host-key checking decide), `dops logs` (the
 * hooks' output of the last deployment, and following a new one until Ctrl-C), shell completion through bash.
 */
import assert from 'node:assert/strict'
import {execFileSync, spawn} from 'node:child_process'
import {cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, before, test} from 'node:test'
import type {DeployReport} from '../../src/deploy/deploy-job.js'
import type {LogsReport} from '../../src/ops/logs-job.js'
import {BIN, dops, httpGet, json, ROOT} from '../helpers.js'
import {startFleet, type Fleet} from '../fleet/fleet.js'

let fleet: Fleet
let project: string
/** a secret given to the hooks: it must never come back in `dops logs` */
const SECRET = 'everyday-s3cr3t-value'
const run = (args: string[], env?: NodeJS.ProcessEnv) => dops(args, {cwd: project, env: {EVERYDAY_SECRET: SECRET, ...env}})

before(async () => {
  fleet = await startFleet({count: 2, prefix: 'e'})
  project = mkdtempSync(path.join(os.tmpdir(), 'dops-everyday-'))
  cpSync(path.join(ROOT, 'examples/zero-downtime/app'), path.join(project, 'app'), {recursive: true})
  // a hook whose output the logs must show
  mkdirSync(path.join(project, 'app/scripts'), {recursive: true})
  writeFileSync(path.join(project, 'app/scripts/hello.sh'), '#!/bin/sh\necho "hello from $(hostname): $(cat /var/www/app/index.html)"\necho "the secret is $GREETING"\n', {mode: 0o755})
  writeFileSync(path.join(project, 'app/appspec.yml'), 'version: 0.0\nos: linux\nfiles:\n  - source: site\n    destination: /var/www/app\nhooks:\n  AfterInstall:\n    - location: scripts/hello.sh\n')
  writeFileSync(path.join(project, 'app/site/index.html'), 'release one\n')
  writeFileSync(path.join(project, 'dops.yml'), `version: 1\nproject: everyday\nssh: {config: ${fleet.sshConfig}}\napps:\n  web: {source: ./app, env: {GREETING: '\${env:EVERYDAY_SECRET}'}}\nenvironments:\n  t:\n    groups:\n      web: {hosts: [e01, e02], apps: [web]}\n`)
})
after(async () => fleet?.stop())

test('dops init: each shape writes a plan, an appspec and hook scripts that validate; existing files are kept without --force', async () => {
  for (const shape of ['static', 'local', 'aws']) {
    const dir = mkdtempSync(path.join(os.tmpdir(), `dops-init-${shape}-`))
    const r = await dops(['init', dir, '--shape', shape, '--project', 'demo', '--json'])
    assert.equal(r.code, 0, r.stderr)
    const files = json<{files: string[]}>(r).files
    assert.ok(files.includes('dops.yml') && files.includes('app/appspec.yml') && files.includes('app/scripts/start.sh'), files.join(','))
    const v = await dops(['validate', '--json'], {cwd: dir})
    assert.equal(v.code, 0, `${shape}: ${v.stdout}`)
    const result = json<{valid: boolean; warnings: unknown[]; apps: Array<{built: boolean}>}>(v)
    assert.equal(result.valid, true)
    assert.deepEqual(result.warnings, [], `${shape}: no warnings`)
    assert.deepEqual(result.apps.map((a) => a.built), [true])
    assert.equal(execFileSync('stat', ['-c', '%a', path.join(dir, 'app/scripts/start.sh')]).toString().trim(), '755')
    // a second init changes nothing and says which files exist
    writeFileSync(path.join(dir, 'dops.yml'), '# mine\n')
    const again = await dops(['init', dir, '--shape', shape])
    assert.equal(again.code, 2)
    assert.match(again.stderr, /already exist.*dops\.yml.*--force/)
    assert.equal(readFileSync(path.join(dir, 'dops.yml'), 'utf8'), '# mine\n')
    const forced = await dops(['init', dir, '--shape', shape, '--project', 'demo', '--force'])
    assert.equal(forced.code, 0)
    assert.match(readFileSync(path.join(dir, 'dops.yml'), 'utf8'), /project: demo/)
  }
  const bad = await dops(['init', mkdtempSync(path.join(os.tmpdir(), 'dops-init-')), '--shape', 'gcp'])
  assert.equal(bad.code, 2)
})

test('dops init --shape local: the scaffold comes up with `dops env up` as it is, and its app answers', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dops-init-up-'))
  assert.equal((await dops(['init', dir, '--shape', 'local', '--project', 'everyday-init'])).code, 0)
  try {
    const up = await dops(['env', 'up', '--json'], {cwd: dir, timeoutMs: 180_000})
    assert.equal(up.code, 0, up.stdout.slice(-3000) + up.stderr)
    assert.deepEqual(json<{deployments: Array<{status: string}>}>(up).deployments.map((d) => d.status), ['succeeded'])
    const hosts = json<{hosts: Array<{name: string; address: string}>}>(await dops(['hosts', '--json'], {cwd: dir})).hosts
    assert.equal(hosts.length, 2)
    for (const h of hosts) assert.match((await httpGet(`http://${h.address}:8000/`)).body, /<h1>everyday-init<\/h1>/)
  } finally {
    const down = await dops(['env', 'down', '--yes'], {cwd: dir, timeoutMs: 120_000})
    assert.equal(down.code, 0, down.stderr)
  }
})

test("dops ssh resolves the host as OpenSSH resolves it from the same ssh_config (ssh -G is the oracle)", async () => {
  const r = await run(['ssh', 'e01', '--json'])
  assert.equal(r.code, 0, r.stderr)
  const argv = json<{command: string[]}>(r).command
  const g = (args: string[]) => {
    const out = new Map<string, string[]>()
    for (const line of execFileSync('ssh', ['-G', ...args], {stdio: ['ignore', 'pipe', 'ignore']}).toString().split('\n')) {
      const [k, ...v] = line.split(' ')
      if (k) out.set(k, [...(out.get(k) ?? []), v.join(' ')])
    }
    return out
  }
  const ours = g(argv.slice(1))
  const openssh = g(['-F', fleet.sshConfig, 'e01'])
  for (const k of ['hostname', 'port', 'user', 'identityfile', 'userknownhostsfile', 'stricthostkeychecking']) assert.deepEqual(ours.get(k), openssh.get(k), k)
  assert.deepEqual(ours.get('hostname'), [fleet.hosts[0]!.address])
  // known_hosts paths with spaces, accept-new, a user and a key from the flags: OpenSSH reads what dops resolved
  const spaced = path.join(mkdtempSync(path.join(os.tmpdir(), 'dops kh ')), 'known hosts')
  const r2 = await run(['ssh', 'e02', '--json', '--known-hosts', spaced, '--known-hosts', fleet.knownHosts, '--host-key-checking', 'accept-new', '--user', 'nobody', '--identity', fleet.clientKey])
  assert.equal(r2.code, 0, r2.stderr)
  const g2 = g(json<{command: string[]}>(r2).command.slice(1))
  assert.deepEqual(g2.get('userknownhostsfile'), [`${spaced} ${fleet.knownHosts}`])
  assert.deepEqual(g2.get('stricthostkeychecking'), ['accept-new'])
  assert.deepEqual(g2.get('user'), ['nobody'])
  assert.deepEqual(g2.get('hostname'), [fleet.hosts[1]!.address])
  // a jump host from ssh_config: the same ProxyJump, and the command goes through it
  const alt = path.join(mkdtempSync(path.join(os.tmpdir(), 'dops-jump-')), 'ssh_config')
  writeFileSync(alt, readFileSync(fleet.sshConfig, 'utf8').replace('Host e02\n', 'Host e02\n  ProxyJump e01\n'))
  const r3 = await run(['ssh', 'e02', '--json', '--ssh-config', alt])
  assert.deepEqual(g(json<{command: string[]}>(r3).command.slice(1)).get('proxyjump'), g(['-F', alt, 'e02']).get('proxyjump'))
  assert.deepEqual(g(['-F', alt, 'e02']).get('proxyjump'), ['e01'])
  const jumped = await run(['exec', 'e02', '--ssh-config', alt, '--', 'hostname'])
  assert.equal(jumped.stdout, 'e02\n', jumped.stderr)
})

test('dops exec: the remote exit code, a TTY only with -t, --json, unknown hosts are invalid input', async () => {
  const r = await run(['exec', 'e01', '--', 'hostname; exit 3'])
  assert.equal(r.code, 3)
  assert.equal(r.stdout, 'e01\n')
  const tty = await run(['exec', 'e01', '-t', '--', 'tty'])
  assert.equal(tty.code, 0, tty.stderr)
  assert.match(tty.stdout, /^\/dev\/pts\/\d+/)
  const noTty = await run(['exec', 'e01', '--', 'tty'])
  assert.equal(noTty.code, 1)
  assert.match(noTty.stdout, /not a tty/)
  const j = json<{exitCode: number; stdout: string; host: string}>(await run(['exec', '--json', 'e02', '--', 'echo', 'hi', '&&', 'hostname']))
  assert.deepEqual([j.host, j.exitCode, j.stdout], ['e02', 0, 'hi\ne02\n'])
  const unknown = await run(['exec', 'e1', '--', 'true'])
  assert.equal(unknown.code, 2)
  assert.match(unknown.stderr, /no host `e1`.*did you mean `e01`/)
  const none = await run(['exec', 'e01'])
  assert.equal(none.code, 2)
  assert.match((await run(['exec', '--help'])).stdout, /\$ dops exec HOST \[FLAGS\] -- COMMAND \[ARGS\.\.\.\]/)
})

test('dops ssh through script: a shell with a terminal; host keys are checked', async () => {
  const shell = await new Promise<{code: number | null; out: string}>((resolve) => {
    const p = spawn('script', ['-qec', `${process.execPath} ${BIN} ssh e01`, '/dev/null'], {cwd: project, env: {...process.env, CI: '', EVERYDAY_SECRET: SECRET}})
    let out = ''
    p.stdout.on('data', (d: Buffer) => (out += d))
    const timer = setTimeout(() => p.kill('SIGKILL'), 30_000)
    p.on('close', (code) => {
      clearTimeout(timer)
      resolve({code, out})
    })
    p.stdin.write('echo "on $(hostname) tty $(tty)"; exit 5\n')
  })
  assert.equal(shell.code, 5, shell.out)
  assert.match(shell.out, /on e01 tty \/dev\/pts\/\d+/)
  // a command argument, no terminal
  const cmd = await run(['ssh', 'e02', '--', 'hostname'])
  assert.equal(cmd.stdout, 'e02\n')
  // unknown key: strict refuses, accept-new records it in the first known_hosts file
  const kh = path.join(mkdtempSync(path.join(os.tmpdir(), 'dops-kh-')), 'sub', 'known_hosts')
  const strict = await run(['exec', 'e01', '--known-hosts', kh, '--', 'true'])
  assert.equal(strict.code, 255)
  assert.match(strict.stderr, /Host key verification failed/)
  const learn = await run(['exec', 'e01', '--known-hosts', kh, '--host-key-checking', 'accept-new', '--', 'true'])
  assert.equal(learn.code, 0, learn.stderr)
  assert.match(readFileSync(kh, 'utf8'), new RegExp(`^${fleet.hosts[0]!.address.replace(/\./g, '\\.')} ssh-ed25519 `))
  // a changed key is refused even with accept-new
  await fleet.stopHost('e01')
  await fleet.rekeyHost('e01')
  await fleet.startHost('e01')
  const changed = await run(['exec', 'e01', '--host-key-checking', 'accept-new', '--', 'true'])
  assert.equal(changed.code, 255)
  assert.match(changed.stderr, /REMOTE HOST IDENTIFICATION HAS CHANGED/)
  // the fleet's known_hosts learns the new key again for the tests that follow
  const lines = readFileSync(fleet.knownHosts, 'utf8').split('\n').filter((l) => l && !l.startsWith(`${fleet.hosts[0]!.address} `))
  const pub = readFileSync(path.join(fleet.dir, 'hosts/e01/ssh_host_ed25519_key.pub'), 'utf8').split(' ')
  writeFileSync(fleet.knownHosts, [...lines, `${fleet.hosts[0]!.address} ${pub[0]} ${pub[1]}`].join('\n') + '\n')
})

test("dops logs: the hooks' output of the last deployment per host; -f follows a new deployment until Ctrl-C and leaves nothing running", async () => {
  const none = await run(['logs', 'web', '--json'])
  assert.equal(none.code, 4)
  assert.deepEqual(json<LogsReport>(none).hosts.map((h) => h.status), ['no-log', 'no-log'])
  // a host last deployed before roots were namespaced keeps its logs under /var/lib/dops/apps/<app>
  const legacy = path.join(fleet.hosts[0]!.fsDir, 'var/lib/dops/apps/web/logs')
  mkdirSync(legacy, {recursive: true})
  writeFileSync(path.join(legacy, 'd-20250101-000000-aaaaaa.log'), 'an old deployment\n')
  const old = await run(['logs', 'web', '--json'])
  assert.equal(old.code, 3)
  assert.deepEqual(json<LogsReport>(old).hosts.map((h) => [h.host, h.status, h.deployment, h.lines.join('|')]), [['e01', 'ok', 'd-20250101-000000-aaaaaa', 'an old deployment'], ['e02', 'no-log', undefined, '']])
  const d1 = await run(['deploy', '--json'])
  assert.equal(d1.code, 0, d1.stdout.slice(-2000))
  const id1 = json<DeployReport>(d1).deploymentId
  const logs = json<LogsReport>(await run(['logs', 'web', '--json']))
  assert.deepEqual(logs.hosts.map((h) => [h.host, h.status, h.deployment]), [['e01', 'ok', id1], ['e02', 'ok', id1]])
  for (const h of logs.hosts) assert.ok(h.lines.some((l) => l.includes(`hello from ${h.host}: release one`)), h.lines.join('\n'))
  for (const h of logs.hosts) assert.ok(h.lines.some((l) => l.endsWith('the secret is ***')), h.lines.join('\n'))
  const one = await run(['logs', 'web', '-H', 'e02', '-n', '1000'])
  assert.equal(one.code, 0)
  assert.ok(!one.stdout.includes(SECRET))
  assert.match(one.stdout, new RegExp(`^== e02 \\(${id1}\\)\\n`))
  assert.match(one.stdout, /hello from e02: release one/)
  assert.doesNotMatch(one.stdout, /e01/)
  const bad = await run(['logs', 'web', '--deployment', '../../etc/passwd'])
  assert.equal(bad.code, 2)

  // follow e01, deploy a second release: its log appears in the follower's output
  const follower = spawn(process.execPath, [BIN, 'logs', 'web', '-f', '-H', 'e01'], {cwd: project, env: {...process.env, CI: 'true', EVERYDAY_SECRET: SECRET}})
  let out = ''
  follower.stdout.on('data', (d: Buffer) => (out += d))
  const exited = new Promise<number | null>((resolve) => follower.on('close', (code) => resolve(code)))
  const waitFor = async (re: RegExp, what: string) => {
    for (let i = 0; i < 150 && !re.test(out); i++) await new Promise((r) => setTimeout(r, 100))
    assert.match(out, re, what)
  }
  try {
    await waitFor(/^e01 .*hello from e01: release one$/m, 'the last lines of the current log')
    writeFileSync(path.join(project, 'app/site/index.html'), 'release two\n')
    const d2 = await run(['deploy', '--json'])
    assert.equal(d2.code, 0)
    await waitFor(/^e01 .*hello from e01: release two$/m, "the new deployment's log")
    await waitFor(/^e01 .*the secret is \*\*\*$/m, 'secrets redacted when following too')
    assert.ok(!out.includes(SECRET))
    assert.doesNotMatch(out, /e02/)
    follower.kill('SIGINT')
    const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('still running'), 10_000))])
    assert.equal(code, 0)
  } finally {
    follower.kill('SIGKILL')
  }
  // nothing of the follower stays on the host (its tail stops at the next heartbeat)
  await new Promise((r) => setTimeout(r, 2500))
  const left = await run(['exec', 'e01', '--', 'ps -eo args | grep -c -e "[t]ail -n" -e "[d]ops::tick" || true'])
  assert.equal(left.stdout.trim(), '0')
})

test('shell completion: bash completes commands and flags through the autocomplete plugin', async () => {
  const home = mkdtempSync(path.join(os.tmpdir(), 'dops-ac-home-'))
  const setup = await dops(['autocomplete', 'bash'], {env: {HOME: home}})
  assert.equal(setup.code, 0, setup.stderr)
  const script = (await dops(['autocomplete', 'script', 'bash'], {env: {HOME: home}})).stdout
  const complete = (words: string[]) =>
    execFileSync('bash', ['-c', `${script}\nCOMP_WORDS=(${words.join(' ')}); COMP_CWORD=${words.length - 1}; COMP_LINE="${words.join(' ')}"; _dops_autocomplete; echo "\${COMPREPLY[*]}"`], {env: {...process.env, HOME: home}}).toString().trim()
  assert.equal(complete(['dops', 'ex']), 'exec')
  assert.equal(complete(['dops', 'lo']), 'logs')
  assert.equal(complete(['dops', 'env', 'u']), 'unlock up')
  assert.equal(complete(['dops', 'logs', '--fol']), '--follow')
})
