/**
 * Ctrl-C or SIGTERM during `dops rollback`: as for `dops deploy`, the host in flight finishes, no other host starts,
 * the command exits 6 and the deploy lock is released (the next rollback starts at once and finishes).
 */
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, before, test} from 'node:test'
import type {DeployReport} from '../../src/deploy/deploy-job.js'
import {startFleet, type Fleet} from '../fleet/fleet.js'
import {BIN, dops, json} from '../helpers.js'

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

    const child = spawn(process.execPath, [BIN, 'rollback', '--json', '--to', v1], {cwd: p.dir, env: {...process.env, CI: 'true'}})
    const out = {stdout: '', stderr: ''}
    child.stdout.on('data', (d: Buffer) => (out.stdout += d))
    child.stderr.on('data', (d: Buffer) => (out.stderr += d))
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)))
    const started = (): number => fleet.hosts.findIndex((_, i) => existsSync(onHost(i, `srv/started-${app}`)))
    for (let i = 0; i < 300 && started() < 0; i++) await new Promise((r) => setTimeout(r, 100))
    const first = started()
    assert.ok(first >= 0, `no hook started: ${out.stderr}`)
    child.kill(sig)
    const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('hung'), 30_000))])
    if (code === 'hung') child.kill('SIGKILL')
    assert.equal(code, 6, out.stderr)
    assert.match(out.stderr, /stopping: no new host will start; in-flight hosts finish/)
    const r = JSON.parse(out.stdout) as DeployReport
    assert.equal(r.status, 'aborted')
    assert.deepEqual(r.results.map((x) => x.status).sort(), ['ok', 'skipped', 'skipped'])
    assert.ok(existsSync(onHost(first, `srv/finished-${app}`)), 'the host in flight ran its hook to the end')
    assert.equal(readFileSync(onHost(first, `srv/${app}/index.html`), 'utf8'), 'v1\n')
    for (const [i] of fleet.hosts.entries()) if (i !== first) assert.equal(existsSync(onHost(i, `srv/started-${app}`)), false, 'no other host started')
    // the lock was released: the next rollback starts at once and brings the rest back
    const next = await dops(['rollback', '--json', '--to', v1], {cwd: p.dir})
    assert.equal(next.code, 0, next.stdout.slice(-2000) + next.stderr)
    for (const [i] of fleet.hosts.entries()) assert.equal(readFileSync(onHost(i, `srv/${app}/index.html`), 'utf8'), 'v1\n')
  })
