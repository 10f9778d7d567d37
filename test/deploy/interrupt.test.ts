/**
 * Ctrl-C during a rolling deployment: the host in flight finishes its lifecycle (never left half-installed), no
 * other host starts, the command exits 6 with the deployment marked aborted, and the lock is released so the next
 * deployment starts at once and finishes the rollout. SIGTERM must do the same.
 */
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, before, test} from 'node:test'
import type {DeployReport} from '../../src/deploy/deploy-job.js'
import {startFleet, type Fleet} from '../fleet/fleet.js'
import {BIN, dops, json} from '../helpers.js'

let fleet: Fleet
let project: string

before(async () => {
  fleet = await startFleet({count: 3, prefix: 'ci'})
  project = mkdtempSync(path.join(os.tmpdir(), 'dops-interrupt-'))
  const rev = path.join(project, 'rev')
  mkdirSync(path.join(rev, 'scripts'), {recursive: true})
  writeFileSync(path.join(rev, 'index.html'), 'v1\n')
  // the hook says it started, then takes a while: the interrupt arrives while it runs
  writeFileSync(path.join(rev, 'scripts/start.sh'), '#!/bin/sh\ntouch /srv/started\nsleep 2\ntouch /srv/finished\n')
  writeFileSync(path.join(rev, 'appspec.yml'), 'version: 0.0\nos: linux\nfiles:\n  - source: index.html\n    destination: /srv/app\nhooks:\n  ApplicationStart:\n    - location: scripts/start.sh\n      timeout: 30\n')
  writeFileSync(path.join(project, 'dops.yml'), `version: 1\nproject: intr\nssh: {config: ${fleet.sshConfig}}\napps:\n  app: {source: ./rev, strategy: {preset: OneAtATime}}\nenvironments:\n  prod:\n    groups:\n      web:\n        hosts: [${fleet.hosts.map((h) => h.name).join(', ')}]\n        apps: [app]\n`)
})
after(async () => fleet?.stop())

const onHost = (i: number, f: string) => path.join(fleet.hosts[i]!.fsDir, f)

/** `dops deploy --json`, sent `signal` once the first host's hook has started; its exit code and output. */
async function deployInterrupted(signal: NodeJS.Signals): Promise<{first: number; code: number | null; stdout: string; stderr: string}> {
  const child = spawn(process.execPath, [BIN, 'deploy', '--json'], {cwd: project, env: {...process.env, CI: 'true'}})
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => (stdout += d))
  child.stderr.on('data', (d: Buffer) => (stderr += d))
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)))
  // bounded wait for the first host's hook to start
  const started = (): number => fleet.hosts.findIndex((_, i) => existsSync(onHost(i, 'srv/started')))
  for (let i = 0; i < 300 && started() < 0; i++) await new Promise((r) => setTimeout(r, 100))
  const first = started()
  assert.ok(first >= 0, `no hook started: ${stderr}`)
  child.kill(signal)
  const code = await exited
  return {first, code, stdout, stderr}
}

test('SIGINT mid-rollout: the in-flight host finishes, no other starts, exit 6, lock released', async () => {
  const {first, code, stdout, stderr} = await deployInterrupted('SIGINT')
  assert.equal(code, 6, stderr)
  assert.match(stderr, /stopping: no new host will start; in-flight hosts finish/)
  const r = JSON.parse(stdout) as DeployReport
  assert.equal(r.status, 'aborted')
  assert.deepEqual(r.results.map((x) => x.status).sort(), ['ok', 'skipped', 'skipped'])
  assert.ok(existsSync(onHost(first, 'srv/finished')), 'the host in flight ran its hook to the end')
  assert.equal(path.basename(readlinkSync(onHost(first, 'var/lib/dops/apps/intr.prod.app/current'))), r.revision.id)
  assert.equal(readFileSync(onHost(first, 'srv/app/index.html'), 'utf8'), 'v1\n')
  for (const [i] of fleet.hosts.entries()) if (i !== first) assert.equal(existsSync(onHost(i, 'srv/started')), false, 'no other host started')
  // the lock was released: the next deployment starts at once and brings the rest
  const next = await dops(['deploy', '--json'], {cwd: project})
  assert.equal(next.code, 0, next.stdout.slice(-2000) + next.stderr)
  assert.deepEqual(json<DeployReport>(next).results.map((x) => x.status), ['ok', 'ok', 'ok'])
  for (const [i] of fleet.hosts.entries()) assert.equal(readFileSync(onHost(i, 'srv/app/index.html'), 'utf8'), 'v1\n')
})

// SIGTERM (a CI job cancelled, systemd stopping a runner) must behave like the first Ctrl-C: today the process
// exits 143 at once, writes no record and leaves the deploy lock held until its lease expires. This test passes
// once the shared interrupt handling in src/cli/base.ts treats SIGTERM as the first Ctrl-C.
test('SIGTERM mid-rollout behaves like the first Ctrl-C: a record is written and the lock is released', async () => {
  for (const [i] of fleet.hosts.entries()) for (const f of ['srv/started', 'srv/finished']) rmSync(onHost(i, f), {force: true})
  const records = path.join(project, '.dops/deployments')
  const before = new Set(readdirSync(records))
  const {first, code, stdout, stderr} = await deployInterrupted('SIGTERM')
  assert.equal(code, 6, `exit ${code}: ${stderr}`)
  assert.ok(existsSync(onHost(first, 'srv/finished')), 'the host in flight ran its hook to the end')
  const fresh = readdirSync(records).filter((n) => !before.has(n))
  assert.equal(fresh.length, 1, 'the deployment is recorded')
  const r = JSON.parse(stdout) as DeployReport
  assert.equal(r.status, 'aborted')
  assert.equal(fresh[0], `${r.deploymentId}.json`)
  // the lock was released: the next deployment starts at once (no --wait)
  const next = await dops(['deploy', '--json'], {cwd: project})
  assert.equal(next.code, 0, next.stdout.slice(-2000) + next.stderr)
})
