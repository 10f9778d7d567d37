/**
 * Ctrl-C during a rolling deployment: the host in flight finishes its lifecycle (never left half-installed), no
 * other host starts, the command exits 6 with the deployment marked aborted, and the lock is released so the next
 * deployment starts at once and finishes the rollout.
 */
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, writeFileSync} from 'node:fs'
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

test('SIGINT mid-rollout: the in-flight host finishes, no other starts, exit 6, lock released', async () => {
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
  child.kill('SIGINT')
  const code = await exited
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
