/**
 * Deploying as a login user that is not root (`deploy@host`), as most fleets require: with `sudo: true` the revision
 * is staged, installed and its hooks run through `sudo -n`, so files land root-owned and hooks run as root; without
 * it the deployment fails on the first host with the permission error, and nothing is installed anywhere.
 * The user exists on this machine for the test only (the sandbox hosts share /etc/passwd with it).
 */
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, before, test} from 'node:test'
import {startFleet, type Fleet} from '../fleet/fleet.js'
import {dops, json} from '../helpers.js'

const USER = 'dopsci'
const SUDOERS = `/etc/sudoers.d/dops-test-${USER}`
const sh = (cmd: string) => spawnSync('sh', ['-c', cmd], {encoding: 'utf8'})
const can = process.getuid?.() === 0 && sh('command -v useradd && command -v sudo').status === 0
const skip = can ? false : 'needs root, useradd and sudo (apt-get install sudo)'
let fleet: Fleet
let project: string
let created = false

before(async () => {
  if (!can) return
  if (sh(`id -u ${USER}`).status !== 0) {
    const r = sh(`useradd -m -d /var/tmp/dops-home-${USER} -s /bin/sh ${USER} && usermod -p '*' ${USER}`)
    if (r.status !== 0) throw new Error(`useradd: ${r.stderr}`)
    created = true
  }
  writeFileSync(SUDOERS, `${USER} ALL=(ALL) NOPASSWD: ALL\n`, {mode: 0o440})
  fleet = await startFleet({count: 2, prefix: 'su'})
  project = mkdtempSync(path.join(os.tmpdir(), 'dops-sudo-'))
  const rev = path.join(project, 'rev')
  mkdirSync(path.join(rev, 'scripts'), {recursive: true})
  writeFileSync(path.join(rev, 'index.html'), '<h1>sudo</h1>\n')
  writeFileSync(path.join(rev, 'scripts/after.sh'), '#!/bin/sh\nid -un > /var/www/app/hook-user\necho "$SUDO_USER" > /var/www/app/sudo-user\n')
  writeFileSync(path.join(rev, 'appspec.yml'), 'version: 0.0\nos: linux\nfiles:\n  - source: index.html\n    destination: /var/www/app\nhooks:\n  AfterInstall:\n    - location: scripts/after.sh\n')
  const plan = (sudo: boolean) => `version: 1\nproject: sudo\nssh: {config: ${fleet.sshConfig}}\napps:\n  app: {source: ./rev, sudo: ${sudo}}\nenvironments:\n  prod:\n    groups:\n      web:\n        hosts: [${fleet.hosts.map((h) => `${USER}@${h.name}`).join(', ')}]\n        apps: [app]\n`
  writeFileSync(path.join(project, 'dops.yml'), plan(false))
  writeFileSync(path.join(project, 'sudo.yml'), plan(true))
})
after(async () => {
  await fleet?.stop()
  if (can) rmSync(SUDOERS, {force: true})
  if (created) sh(`userdel -r ${USER} 2>/dev/null`)
})

test('without sudo, a non-root login cannot deploy: the first host fails with the permission error and nothing is installed', {skip}, async () => {
  const r = await dops(['deploy'], {cwd: project})
  assert.equal(r.code, 22, r.stdout + r.stderr)
  assert.match(r.stderr, /cannot take the deploy lock on su01: mkdir: cannot create directory '\/var\/lib\/dops\/locks': Permission denied/)
  assert.match(r.stderr, /the login user cannot write \/var\/lib\/dops\/locks: set `sudo: true` on the app/)
  assert.match(r.stderr, /nothing was changed/)
  assert.doesNotMatch(r.stderr, /\n\s+at /)
  for (const h of fleet.hosts) assert.equal(existsSync(path.join(h.fsDir, 'var/www/app/index.html')), false)
})

test('with sudo: true, files are installed root-owned and hooks run as root, over a non-root login', {skip}, async () => {
  const who = await dops(['run', '-f', 'sudo.yml', '--', 'id -un'], {cwd: project})
  assert.deepEqual(json<{results: Array<{stdout: string}>}>(await dops(['run', '-f', 'sudo.yml', '--json', '--', 'id -un'], {cwd: project})).results.map((x) => x.stdout.trim()), [USER, USER], who.stderr)
  const r = await dops(['deploy', '-f', 'sudo.yml', '--json'], {cwd: project})
  assert.equal(r.code, 0, r.stdout.slice(-2000) + r.stderr)
  for (const h of fleet.hosts) {
    const www = path.join(h.fsDir, 'var/www/app')
    assert.equal(readFileSync(path.join(www, 'index.html'), 'utf8'), '<h1>sudo</h1>\n')
    assert.equal(statSync(path.join(www, 'index.html')).uid, 0, 'installed as root')
    assert.equal(readFileSync(path.join(www, 'hook-user'), 'utf8').trim(), 'root', 'the hook ran as root')
    assert.equal(readFileSync(path.join(www, 'sudo-user'), 'utf8').trim(), USER, 'through sudo, from the login user')
  }
  const status = json<{hosts: Array<{revision?: string}>}>(await dops(['deploy', 'status', '-f', 'sudo.yml', '--json'], {cwd: project}))
  assert.ok(status.hosts.every((h) => h.revision), 'deploy status reads the revision over the non-root login')
})
