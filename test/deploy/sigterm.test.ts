/**
 * SIGTERM during a rolling deployment behaves as the first Ctrl-C: the host in flight finishes, no other starts, the
 * deployment is recorded as aborted (exit 6) and the lock is released, so the next deployment starts at once.
 */
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, before, test} from 'node:test'
import type {DeployReport} from '../../src/deploy/deploy-job.js'
import {startFleet, type Fleet} from '../fleet/fleet.js'
import {BIN, dops, json} from '../helpers.js'

let fleet: Fleet
let project: string

before(async () => {
  fleet = await startFleet({count: 2, prefix: 'st'})
  project = mkdtempSync(path.join(os.tmpdir(), 'dops-sigterm-'))
  const rev = path.join(project, 'rev')
  mkdirSync(path.join(rev, 'scripts'), {recursive: true})
  writeFileSync(path.join(rev, 'index.html'), 'v1\n')
  writeFileSync(path.join(rev, 'scripts/start.sh'), '#!/bin/sh\ntouch /srv/started\nsleep 2\ntouch /srv/finished\n')
  writeFileSync(path.join(rev, 'appspec.yml'), 'version: 0.0\nos: linux\nfiles:\n  - source: index.html\n    destination: /srv/app\nhooks:\n  ApplicationStart:\n    - location: scripts/start.sh\n      timeout: 30\n')
  writeFileSync(path.join(project, 'dops.yml'), `version: 1\nproject: term\nssh: {config: ${fleet.sshConfig}}\napps:\n  app: {source: ./rev, strategy: {preset: OneAtATime}}\nenvironments:\n  prod:\n    groups:\n      web:\n        hosts: [${fleet.hosts.map((h) => h.name).join(', ')}]\n        apps: [app]\n`)
})
after(async () => fleet?.stop())

const onHost = (i: number, f: string) => path.join(fleet.hosts[i]!.fsDir, f)

test('SIGTERM mid-rollout: the in-flight host finishes, exit 6, recorded as aborted, lock released', async () => {
  const child = spawn(process.execPath, [BIN, 'deploy', '--json'], {cwd: project, env: {...process.env, CI: 'true'}})
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => (stdout += d))
  child.stderr.on('data', (d: Buffer) => (stderr += d))
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)))
  const started = (): number => fleet.hosts.findIndex((_, i) => existsSync(onHost(i, 'srv/started')))
  for (let i = 0; i < 300 && started() < 0; i++) await new Promise((r) => setTimeout(r, 100))
  const first = started()
  assert.ok(first >= 0, `no hook started: ${stderr}`)
  child.kill('SIGTERM')
  const code = await exited
  assert.equal(code, 6, stderr)
  const r = JSON.parse(stdout) as DeployReport
  assert.equal(r.status, 'aborted')
  assert.deepEqual(r.results.map((x) => x.status).sort(), ['ok', 'skipped'])
  assert.ok(existsSync(onHost(first, 'srv/finished')), 'the host in flight ran its hook to the end')
  const next = await dops(['deploy', '--json'], {cwd: project, timeoutMs: 60_000})
  assert.equal(next.code, 0, next.stdout.slice(-2000) + next.stderr)
  assert.deepEqual(json<DeployReport>(next).results.map((x) => x.status), ['ok', 'ok'])
})

test('a second Ctrl-C during a deployment kills the hook on the host and exits at once', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dops-sigint2-'))
  const rev = path.join(dir, 'rev')
  mkdirSync(path.join(rev, 'scripts'), {recursive: true})
  writeFileSync(path.join(rev, 'index.html'), 'v1\n')
  const duration = `26.${Date.now() % 100000}`
  writeFileSync(path.join(rev, 'scripts/start.sh'), `#!/bin/sh\ntouch /srv/started2\nsleep ${duration}\n`)
  writeFileSync(path.join(rev, 'appspec.yml'), 'version: 0.0\nos: linux\nfiles:\n  - source: index.html\n    destination: /srv/app2\nhooks:\n  ApplicationStart:\n    - location: scripts/start.sh\n      timeout: 60\n')
  writeFileSync(path.join(dir, 'dops.yml'), `version: 1\nproject: term2\nssh: {config: ${fleet.sshConfig}}\napps:\n  app2: {source: ./rev, strategy: {preset: OneAtATime}}\nenvironments:\n  prod:\n    groups:\n      web:\n        hosts: [${fleet.hosts[0]!.name}]\n        apps: [app2]\n`)
  const child = spawn(process.execPath, [BIN, 'deploy', '--json'], {cwd: dir, env: {...process.env, CI: 'true'}})
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => (stderr += d))
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)))
  const sleeping = () =>
    readdirSync('/proc').filter((d) => {
      try {
        const argv = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0')
        return /^\d+$/.test(d) && argv[0] === 'sleep' && argv[1] === duration
      } catch {
        return false
      }
    })
  for (let i = 0; i < 300 && !sleeping().length; i++) await new Promise((r) => setTimeout(r, 100))
  assert.ok(sleeping().length, `the hook never started: ${stderr}`)
  child.kill('SIGINT')
  await new Promise((r) => setTimeout(r, 300))
  const t0 = Date.now()
  child.kill('SIGINT')
  const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('hung'), 5000))])
  if (code === 'hung') child.kill('SIGKILL')
  assert.equal(code, 130, stderr)
  assert.ok(Date.now() - t0 < 2000, `exited after ${Date.now() - t0} ms`)
  assert.deepEqual(sleeping(), [], 'the hook was killed on the host')
})
