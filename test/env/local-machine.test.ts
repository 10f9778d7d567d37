/**
 * The local provider on the machine it runs on: a fresh machine (no /run/sshd), a sandbox host that cannot start
 * (its sshd log in the error), two checkouts of one plan (each its own sandboxes), records that no longer name
 * their sandbox (a reused pid, a directory elsewhere: neither killed nor deleted), and a frozen host (TCP connects,
 * SSH never answers: the command fails fast and names the host and the step).
 */
import assert from 'node:assert/strict'
import {spawn, execFileSync} from 'node:child_process'
import {cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, test} from 'node:test'
import type {EnvReport} from '../../src/env/env-job.js'
import {BIN, dops, json, ROOT, type CliResult} from '../helpers.js'

const cleanups: Array<() => unknown> = []
after(async () => {
  for (const c of cleanups.reverse()) await Promise.resolve().then(c).catch(() => undefined)
})

interface StateFile {
  groups: Record<string, {instances: Array<{name: string; address: string; data: {pid: number; dir: string; started?: string}}>}>
}

/** A plan of `count` sandbox hosts whose bootstrap shows that sshd had what it needs. */
function smallPlan(project: string, count = 1, dir = mkdtempSync(path.join(os.tmpdir(), 'dops-localm-'))): string {
  mkdirSync(dir, {recursive: true})
  writeFileSync(path.join(dir, 'dops.yml'), `version: 1\nproject: ${project}\nenvironments:\n  e:\n    groups:\n      a:\n        provider: local\n        instance: {count: ${count}}\n        bootstrap:\n          - name: check\n            run: test -d /run/sshd && hostname\n`)
  cleanups.push(() => dops(['env', 'down', '--yes'], {cwd: dir}))
  return dir
}
/** The environment's state file (.dops/state/<project>-<env>.json). */
const state = (dir: string, env = 'e'): StateFile => {
  const project = /^project: (\S+)$/m.exec(readFileSync(path.join(dir, 'dops.yml'), 'utf8'))![1]
  return JSON.parse(readFileSync(path.join(dir, '.dops/state', `${project}-${env}.json`), 'utf8')) as StateFile
}

/** Run dops in a private mount namespace whose /run is a fresh tmpfs (`ro` to make it unwritable). */
function inFreshRun(args: string[], cwd: string, mountOpts = ''): Promise<CliResult & {sshdDirBefore: boolean}> {
  return new Promise((resolve) => {
    const script = `mount -t tmpfs ${mountOpts} tmpfs /run && { test -e /run/sshd && echo SSHD_DIR_PRESENT >&2; exec "$0" "$@"; }`
    const p = spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script, process.execPath, BIN, ...args], {cwd, env: {...process.env, CI: 'true'}})
    let stdout = ''
    let stderr = ''
    p.stdout.on('data', (d: Buffer) => (stdout += d))
    p.stderr.on('data', (d: Buffer) => (stderr += d))
    const timer = setTimeout(() => p.kill('SIGKILL'), 120_000)
    p.on('close', (code) => {
      clearTimeout(timer)
      resolve({code: code ?? 1, stdout, stderr, sshdDirBefore: stderr.includes('SSHD_DIR_PRESENT')})
    })
  })
}

test('a fresh machine without /run/sshd: env up makes what sshd needs and the host answers', async () => {
  const dir = smallPlan('freshrun')
  const r = await inFreshRun(['env', 'up', '--yes', '--json'], dir)
  assert.equal(r.sshdDirBefore, false, 'the namespace starts without /run/sshd')
  assert.equal(r.code, 0, r.stdout.slice(-2000) + r.stderr)
  const rep = json<EnvReport>(r)
  assert.deepEqual(rep.bootstrap.map((b) => `${b.script}:${b.ok}/${b.failed}`), ['check:1/0'])
  assert.match(rep.bootstrap[0]!.hosts[0]!.stdout, /^a-1$/m)
})

test('a sandbox host that cannot start: a clean error with the end of its sshd log, not a bug in dops', async () => {
  const dir = smallPlan('norun')
  // /run read-only: the host's /run/sshd cannot be made
  const r = await inFreshRun(['env', 'up', '--yes'], dir, '-o ro')
  assert.equal(r.code, 3, r.stderr)
  assert.match(r.stderr, /sandbox host a-1 \(127\.0\.\d+\.2:22\) did not start: its sshd exited \(exit code \d+\); the last lines of \/var\/tmp\/dops-local\/norun-e-[0-9a-f]+\/hosts\/a-1\/sshd\.log:\n.*\/run\/sshd.*Read-only file system/)
  assert.doesNotMatch(r.stderr, /bug in dops/)
})

test('two checkouts of one plan have their own sandboxes; env down in one leaves the other running', async () => {
  const one = smallPlan('twin')
  const two = smallPlan('twin')
  assert.equal((await dops(['env', 'up', '--yes'], {cwd: one})).code, 0)
  const plan = json<EnvReport>(await dops(['env', 'plan', '--json'], {cwd: two}))
  assert.deepEqual(plan.changes.map((c) => `${c.group}:${c.keep}+${c.create}`), ['a:0+1'], 'the other checkout does not see these sandboxes')
  const up = await dops(['env', 'up', '--yes', '--json'], {cwd: two})
  assert.equal(up.code, 0, up.stderr)
  const [a1, a2] = [state(one).groups.a!.instances[0]!, state(two).groups.a!.instances[0]!]
  assert.notEqual(a1.address, a2.address)
  assert.notEqual(a1.data.dir, a2.data.dir)
  assert.equal((await dops(['env', 'down', '--yes'], {cwd: one})).code, 0)
  const still = json<EnvReport>(await dops(['env', 'plan', '--json'], {cwd: two}))
  assert.deepEqual(still.changes.map((c) => `${c.group}:${c.keep}+${c.create}`), ['a:1+0'], 'the second checkout\'s host is still running')
  assert.equal((await dops(['run', '-g', 'a', '--', 'true'], {cwd: two})).code, 0)
})

test('env down kills only its own sandboxes and deletes only under its own directory', async () => {
  const dir = smallPlan('notmine', 2)
  assert.equal((await dops(['env', 'up', '--yes'], {cwd: dir})).code, 0)
  const file = path.join(dir, '.dops/state/notmine-e.json')
  const st = JSON.parse(readFileSync(file, 'utf8')) as StateFile
  const [h1, h2] = st.groups.a!.instances
  const real = [h1!.data.pid, h2!.data.pid]
  cleanups.push(() => real.forEach((pid) => process.kill(pid, 'SIGKILL')))
  // host 1's pid now belongs to an unrelated process (as after a reboot)
  const sleeper = spawn('sleep', ['300'], {stdio: 'ignore', detached: true})
  cleanups.push(() => void sleeper.kill('SIGKILL'))
  h1!.data.pid = sleeper.pid!
  // host 2's record names a directory outside dops's own
  const outside = mkdtempSync('/var/tmp/dops-not-yours-')
  writeFileSync(path.join(outside, 'keep-me'), 'x')
  cleanups.push(() => execFileSync('rm', ['-rf', outside]))
  h2!.data.dir = outside
  writeFileSync(file, JSON.stringify(st))
  const down = await dops(['env', 'down', '--yes'], {cwd: dir})
  assert.equal(down.code, 0, down.stderr)
  assert.equal(sleeper.exitCode, null, 'the unrelated process was not killed')
  execFileSync('kill', ['-0', String(sleeper.pid)])
  assert.ok(existsSync(path.join(outside, 'keep-me')), 'the directory outside dops\'s own was not deleted')
})

test('a frozen host (TCP connects, SSH never answers): env reconcile fails fast, naming the host and the step', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dops-frozen-'))
  cpSync(path.join(ROOT, 'examples/local'), dir, {recursive: true})
  writeFileSync(path.join(dir, 'dops.yml'), readFileSync(path.join(dir, 'dops.yml'), 'utf8').replace('project: shop', 'project: shopfrozen'))
  cleanups.push(() => dops(['env', 'down', '--yes'], {cwd: dir}))
  const up = await dops(['env', 'up', '--yes'], {cwd: dir})
  assert.equal(up.code, 0, up.stderr)
  const web1 = state(dir, 'local').groups.web!.instances[0]!
  // every process of the host stopped (not killed): its listening socket still accepts connections
  const tree = (pid: number): number[] => [pid, ...execFileSync('sh', ['-c', `pgrep -P ${pid} || true`]).toString().split('\n').filter(Boolean).flatMap((c) => tree(Number(c)))]
  const frozen = tree(web1.data.pid).slice(1)
  assert.ok(frozen.length > 0)
  execFileSync('kill', ['-STOP', ...frozen.map(String)])
  cleanups.unshift(() => execFileSync('kill', ['-CONT', ...frozen.map(String)], {stdio: 'ignore'}))
  const t0 = Date.now()
  const r = await dops(['env', 'reconcile', '--json'], {cwd: dir, timeoutMs: 90_000})
  const took = Date.now() - t0
  execFileSync('kill', ['-CONT', ...frozen.map(String)])
  assert.ok(took < 60_000, `took ${took} ms`)
  assert.equal(r.code, 4, r.stdout + r.stderr)
  const err = json<{error: {code: string; message: string}}>(r).error
  // web-1, first of the app's hosts by name, holds the app's deploy lock: the deploy step stops there, nothing changed
  assert.equal(err.code, 'LOCK_UNREACHABLE')
  assert.match(err.message, /^deploying web: cannot take the deploy lock on web-1: connection to web-1 \(root@127\.0\.\d+\.\d+:22\) timed out after \d+s waiting for the SSH handshake[^;]*; nothing was changed/)
})
