/**
 * Ctrl-C or SIGTERM during `dops rollback`: as for `dops deploy`, the host in flight finishes, no other host starts,
 * the command exits 6 and the deploy lock is released (the next rollback starts at once and finishes).
 */
import assert from 'node:assert/strict'
import {mkdirSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, before, test} from 'node:test'
import type {DeployReport} from '../../src/deploy/deploy-job.js'
import {startFleet, type Fleet} from '../fleet/fleet.js'
import {dops, json} from '../helpers.js'
import {interruptMidRollout, spawnDops} from './interrupted.js'

let fleet: Fleet

before(async () => {
  fleet = await startFleet({count: 3, prefix: 'rbi'})
})
after(async () => fleet?.stop())

const onHost = (i: number, f: string) => path.join(fleet.hosts[i]!.fsDir, f)

/** A project with app `app` (one host at a time) whose ApplicationStart hook is slow once /srv/slow-APP exists. */
function project(app: string): {dir: string; setVersion: (v: string) => void} {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dops-rb-interrupt-'))
  const rev = path.join(dir, 'rev')
  mkdirSync(path.join(rev, 'scripts'), {recursive: true})
  writeFileSync(path.join(rev, 'scripts/start.sh'), `#!/bin/sh\nif [ -e /srv/slow-${app} ]; then touch /srv/started-${app}; sleep 2; touch /srv/finished-${app}; fi\nexit 0\n`)
  writeFileSync(path.join(rev, 'appspec.yml'), `version: 0.0\nos: linux\nfiles:\n  - source: index.html\n    destination: /srv/${app}\nhooks:\n  ApplicationStart:\n    - location: scripts/start.sh\n      timeout: 60\n`)
  writeFileSync(path.join(dir, 'dops.yml'), `version: 1\nproject: ${app}\nssh: {config: ${fleet.sshConfig}}\napps:\n  ${app}: {source: ./rev, strategy: {preset: OneAtATime}}\nenvironments:\n  prod:\n    groups:\n      web:\n        hosts: [${fleet.hosts.map((h) => h.name).join(', ')}]\n        apps: [${app}]\n`)
  return {dir, setVersion: (v) => writeFileSync(path.join(rev, 'index.html'), `${v}\n`)}
}

for (const sig of ['SIGINT', 'SIGTERM'] as const)
  test(`${sig} during dops rollback: the in-flight host finishes, no other starts, exit 6, lock released`, async () => {
    const app = sig === 'SIGINT' ? 'rbint' : 'rbterm'
    const p = project(app)
    p.setVersion('v1')
    const d1 = await dops(['deploy', '--json'], {cwd: p.dir})
    assert.equal(d1.code, 0, d1.stderr)
    const v1 = json<DeployReport>(d1).revision.id
    p.setVersion('v2')
    const d2 = await dops(['deploy', '--json'], {cwd: p.dir})
    assert.equal(d2.code, 0, d2.stderr)
    for (const [i] of fleet.hosts.entries()) writeFileSync(onHost(i, `srv/slow-${app}`), '')

    const {first} = await interruptMidRollout(fleet, app, sig, spawnDops(['rollback', '--json', '--to', v1], p.dir))
    assert.equal(readFileSync(onHost(first, `srv/${app}/index.html`), 'utf8'), 'v1\n')
    // the lock was released: the next rollback starts at once and brings the rest back
    const next = await dops(['rollback', '--json', '--to', v1], {cwd: p.dir})
    assert.equal(next.code, 0, next.stdout.slice(-2000) + next.stderr)
    for (const [i] of fleet.hosts.entries()) assert.equal(readFileSync(onHost(i, `srv/${app}/index.html`), 'utf8'), 'v1\n')
  })
