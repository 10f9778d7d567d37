/**
 * A host whose lifecycle started and then failed (ApplicationStop ran, Install removed the previous files and failed
 * midway) is changed: the deployment rolls it back to the last good revision, and says so. The built CLI, a plan,
 * real sshd hosts.
 */
import assert from 'node:assert/strict'
import {chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, before, test} from 'node:test'
import type {DeployReport} from '../../src/deploy/deploy-job.js'
import {dops, json} from '../helpers.js'
import {startFleet, type Fleet} from '../fleet/fleet.js'

let fleet: Fleet
let project: string
before(async () => {
  fleet = await startFleet({count: 2, prefix: 'rm'})
  project = mkdtempSync(path.join(os.tmpdir(), 'dops-midway-'))
  writeFileSync(
    path.join(project, 'dops.yml'),
    `version: 1\nproject: shop\nssh:\n  config: ${fleet.sshConfig}\napps:\n  web:\n    source: ./build\n    strategy: {batch: 1}\n    fileExistsBehavior: OVERWRITE\nenvironments:\n  prod:\n    groups:\n      web:\n        hosts: [${fleet.hosts.map((h) => h.name).join(', ')}]\n        apps: [web]\n`,
  )
})
after(async () => fleet?.stop())

function makeBuild(version: string, files: Record<string, string>): void {
  const dir = path.join(project, 'build')
  rmSync(dir, {recursive: true, force: true})
  mkdirSync(path.join(dir, 'scripts'), {recursive: true})
  for (const [f, c] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, 'site', f)), {recursive: true})
    writeFileSync(path.join(dir, 'site', f), c)
  }
  for (const e of ['ApplicationStop', 'ApplicationStart']) {
    writeFileSync(path.join(dir, 'scripts', `${e}.sh`), `#!/bin/sh\necho "${version} ${e}" >> /srv/hooks.log\n`)
    chmodSync(path.join(dir, 'scripts', `${e}.sh`), 0o755)
  }
  writeFileSync(path.join(dir, 'appspec.yml'), `version: 0.0\nos: linux\nfiles:\n  - source: site\n    destination: /var/www/app\nhooks:\n  ApplicationStop:\n    - location: scripts/ApplicationStop.sh\n  ApplicationStart:\n    - location: scripts/ApplicationStart.sh\n`)
}
const www = (i: number, f: string) => path.join(fleet.hosts[i]!.fsDir, 'var/www/app', f)

test('an Install that fails midway (previous files removed, ApplicationStop run) is rolled back to the last good revision', async () => {
  makeBuild('v1', {'index.html': '<h1>v1</h1>\n', 'about.html': 'v1 about\n'})
  const first = await dops(['deploy', '--json'], {cwd: project})
  assert.equal(first.code, 0, first.stdout.slice(-2000) + first.stderr)
  // v2 has a directory where the first host has a plain file: its Install removes v1's files, then cannot go on
  writeFileSync(www(0, 'sub'), 'not a directory\n')
  makeBuild('v2', {'index.html': '<h1>v2</h1>\n', 'sub/page.html': 'v2 page\n'})
  const r = await dops(['deploy', '--json'], {cwd: project})
  const rep = json<DeployReport>(r)
  assert.equal(r.code, 20, r.stdout.slice(-3000))
  assert.equal(rep.status, 'failed-rolled-back')
  const h = rep.results.find((x) => x.host === fleet.hosts[0]!.name)!
  assert.equal(h.status, 'failed')
  assert.equal(h.failedEvent, 'Install')
  assert.match(h.stderr, /Install: cannot create the directory \/var\/www\/app\/sub/)
  assert.equal(h.switched, false)
  assert.equal(h.changed, true, 'its lifecycle started: it changed')
  assert.deepEqual(rep.rollback!.results.map((x) => `${x.host}:${x.status}`), [`${fleet.hosts[0]!.name}:ok`])
  assert.equal(readFileSync(www(0, 'index.html'), 'utf8'), '<h1>v1</h1>\n', 'the host serves v1 again')
  assert.equal(readFileSync(www(0, 'about.html'), 'utf8'), 'v1 about\n')
  assert.deepEqual(readFileSync(path.join(fleet.hosts[0]!.fsDir, 'srv/hooks.log'), 'utf8').trim().split('\n').slice(-3), ['v1 ApplicationStop', 'v1 ApplicationStop', 'v1 ApplicationStart'], 'stopped by the failed deployment, started again by the rollback')
  // the second host was never started: untouched, still v1
  assert.equal(rep.results.find((x) => x.host === fleet.hosts[1]!.name)?.status, 'skipped')
  assert.equal(readFileSync(www(1, 'index.html'), 'utf8'), '<h1>v1</h1>\n')
  assert.equal(existsSync(www(0, 'sub/page.html')), false)
  // the text output says the host was rolled back, not that no host had changed
  writeFileSync(www(0, 'sub'), 'not a directory\n')
  const text = await dops(['deploy'], {cwd: project})
  assert.equal(text.code, 20)
  assert.doesNotMatch(text.stdout + text.stderr, /no host had changed/)
})
