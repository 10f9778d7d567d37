/**
 * Ctrl-C during a rolling deployment: the host in flight finishes its lifecycle (never left half-installed), no
 * other host starts, the command exits 6 with the deployment marked aborted, and the lock is released so the next
 * deployment starts at once and finishes the rollout. SIGTERM behaves the same; a second Ctrl-C kills the hook on
 * the host and exits at once.
 */
import assert from 'node:assert/strict'
import {mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, before, test} from 'node:test'
import type {DeployReport} from '../../src/deploy/deploy-job.js'
import {startFleet, type Fleet} from '../fleet/fleet.js'
import {dops, json} from '../helpers.js'
import {interruptMidRollout, spawnDops} from './interrupted.js'

let fleet: Fleet

before(async () => {
  fleet = await startFleet({count: 3, prefix: 'ci'})
})
after(async () => fleet?.stop())

const onHost = (i: number, f: string) => path.join(fleet.hosts[i]!.fsDir, f)

/** A project deploying `app` (one host at a time) whose ApplicationStart hook runs `hook` on `hosts`. */
function slowRollout(app: string, hook: string, hosts = fleet.hosts): string {
  const project = mkdtempSync(path.join(os.tmpdir(), 'dops-interrupt-'))
  const rev = path.join(project, 'rev')
  mkdirSync(path.join(rev, 'scripts'), {recursive: true})
  writeFileSync(path.join(rev, 'index.html'), 'v1\n')
  writeFileSync(path.join(rev, 'scripts/start.sh'), `#!/bin/sh\n${hook}\n`)
  writeFileSync(path.join(rev, 'appspec.yml'), `version: 0.0\nos: linux\nfiles:\n  - source: index.html\n    destination: /srv/${app}\nhooks:\n  ApplicationStart:\n    - location: scripts/start.sh\n      timeout: 60\n`)
  writeFileSync(path.join(project, 'dops.yml'), `version: 1\nproject: ${app}\nssh: {config: ${fleet.sshConfig}}\napps:\n  ${app}: {source: ./rev, strategy: {preset: OneAtATime}}\nenvironments:\n  prod:\n    groups:\n      web:\n        hosts: [${hosts.map((h) => h.name).join(', ')}]\n        apps: [${app}]\n`)
  return project
}

/** `dops deploy --json` in `project`, its output collected. */
const spawnDeploy = (project: string) => spawnDops(['deploy', '--json'], project)

for (const sig of ['SIGINT', 'SIGTERM'] as const)
  test(`${sig} mid-rollout: the in-flight host finishes, no other starts, exit 6, lock released`, async () => {
    const app = sig === 'SIGINT' ? 'app' : 'termapp'
    // the hook says it started, then takes a while: the signal arrives while it runs
    const project = slowRollout(app, `touch /srv/started-${app}\nsleep 2\ntouch /srv/finished-${app}`)
    const {first, report: r} = await interruptMidRollout(fleet, app, sig, spawnDeploy(project))
    assert.equal(path.basename(readlinkSync(onHost(first, `var/lib/dops/apps/${app}.prod.${app}/current`))), r.revision.id)
    assert.equal(readFileSync(onHost(first, `srv/${app}/index.html`), 'utf8'), 'v1\n')
    // the lock was released: the next deployment starts at once and brings the rest
    const next = await dops(['deploy', '--json'], {cwd: project})
    assert.equal(next.code, 0, next.stdout.slice(-2000) + next.stderr)
    assert.deepEqual(json<DeployReport>(next).results.map((x) => x.status), ['ok', 'ok', 'ok'])
    for (const [i] of fleet.hosts.entries()) assert.equal(readFileSync(onHost(i, `srv/${app}/index.html`), 'utf8'), 'v1\n')
  })

test('a second Ctrl-C during a deployment kills the hook on the host and exits at once (130)', async () => {
  const duration = `26.${Date.now() % 100000}`
  const project = slowRollout('killapp', `sleep ${duration}`, fleet.hosts.slice(0, 1))
  const {child, out, exited} = spawnDeploy(project)
  // the hook's sleep, seen from this machine (the hosts' PID namespaces are nested in ours)
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
  assert.ok(sleeping().length, `the hook never started: ${out.stderr}`)
  child.kill('SIGINT')
  await new Promise((r) => setTimeout(r, 300))
  const t0 = Date.now()
  child.kill('SIGINT')
  const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('hung'), 5000))])
  if (code === 'hung') child.kill('SIGKILL')
  assert.equal(code, 130, out.stderr)
  assert.ok(Date.now() - t0 < 2000, `exited after ${Date.now() - t0} ms`)
  assert.deepEqual(sleeping(), [], 'the hook was killed on the host')
})
