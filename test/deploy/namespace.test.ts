/**
 * Two projects, and two environments of one project, deploying an app of the same name to one host: each has its
 * own root on the host (`<deployRoot>/<project>.<env>.<app>`), so neither runs the other's hooks or removes the
 * other's files. A host deployed before namespacing is adopted by the first deployment. The built CLI, real sshd.
 */
import assert from 'node:assert/strict'
import {chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, before, test} from 'node:test'
import {deployHost, lifecyclePhases} from '../../src/deploy/deploy-host.js'
import {hostLayout} from '../../src/deploy/host-layout.js'
import {bundleRevision, prepareRevision} from '../../src/deploy/prepare.js'
import type {DeployReport} from '../../src/deploy/deploy-job.js'
import {dops, json} from '../helpers.js'
import {startFleet, type Fleet} from '../fleet/fleet.js'
import {fleetHosts} from './fleet-hosts.js'

let fleet: Fleet
before(async () => {
  fleet = await startFleet({count: 1, prefix: 'ns'})
})
after(async () => fleet?.stop())

/** A project directory deploying app `web` (its files to /var/www/<dest>) to the fleet's one host. */
function project(name: string, envs: string[], dest: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `dops-ns-${name}-`))
  writeFileSync(path.join(dir, 'dops.yml'), `version: 1\nproject: ${name}\nssh:\n  config: ${fleet.sshConfig}\napps:\n  web:\n    source: ./build\nenvironments:\n${envs.map((e) => `  ${e}:\n    groups:\n      g:\n        hosts: [${fleet.hosts[0]!.name}]\n        apps: [web]\n`).join('')}`)
  build(dir, `${name} v1`, dest)
  return dir
}

function build(dir: string, label: string, dest: string): string {
  const b = path.join(dir, 'build')
  rmSync(b, {recursive: true, force: true})
  mkdirSync(path.join(b, 'site'), {recursive: true})
  mkdirSync(path.join(b, 'scripts'))
  writeFileSync(path.join(b, 'site', 'index.html'), `${label}\n`)
  for (const e of ['ApplicationStop', 'ApplicationStart']) {
    writeFileSync(path.join(b, 'scripts', `${e}.sh`), `#!/bin/sh\necho "${label} ${e} $DOPS_ENV" >> /srv/hooks.log\n`)
    chmodSync(path.join(b, 'scripts', `${e}.sh`), 0o755)
  }
  writeFileSync(path.join(b, 'appspec.yml'), `version: 0.0\nos: linux\nfiles:\n  - source: site\n    destination: /var/www/${dest}\nhooks:\n  ApplicationStop:\n    - location: scripts/ApplicationStop.sh\n  ApplicationStart:\n    - location: scripts/ApplicationStart.sh\n`)
  return b
}

const fs = (p: string) => path.join(fleet.hosts[0]!.fsDir, p)
const hooks = () => (existsSync(fs('srv/hooks.log')) ? readFileSync(fs('srv/hooks.log'), 'utf8').trim().split('\n') : [])

test('two projects and two environments deploy app `web` to one host without touching each other', async () => {
  const alpha = project('alpha', ['prod'], 'alpha')
  const beta = project('beta', ['prod', 'staging'], 'beta')
  for (const [dir, args] of [[alpha, []], [beta, ['-e', 'prod']]] as const) {
    const r = await dops(['deploy', '--json', ...args], {cwd: dir})
    assert.equal(r.code, 0, r.stdout.slice(-2000) + r.stderr)
  }
  assert.equal(readFileSync(fs('var/www/alpha/index.html'), 'utf8'), 'alpha v1\n', "beta's deployment left alpha's files")
  assert.deepEqual(hooks(), ['alpha v1 ApplicationStart prod', 'beta v1 ApplicationStart prod'], "beta's deployment did not run alpha's ApplicationStop")
  // beta's other environment: its own root too (same destination, so it is a conflict there, not a silent takeover)
  build(beta, 'beta v1s', 'beta-staging')
  const st = await dops(['deploy', '--json', '-e', 'staging'], {cwd: beta})
  assert.equal(st.code, 0, st.stdout.slice(-2000))
  build(alpha, 'alpha v2', 'alpha')
  const a2 = await dops(['deploy', '--json'], {cwd: alpha})
  assert.equal(a2.code, 0, a2.stdout.slice(-2000))
  assert.deepEqual(hooks().slice(2), ['beta v1s ApplicationStart staging', 'alpha v1 ApplicationStop prod', 'alpha v2 ApplicationStart prod'])
  assert.equal(readFileSync(fs('var/www/beta/index.html'), 'utf8'), 'beta v1\n')
  assert.equal(readFileSync(fs('var/www/beta-staging/index.html'), 'utf8'), 'beta v1s\n')
  for (const root of ['alpha.prod.web', 'beta.prod.web', 'beta.staging.web']) assert.match(readlinkSync(fs(`var/lib/dops/apps/${root}/current`)), /^revisions\//, root)
  assert.equal(existsSync(fs('var/lib/dops/apps/web')), false, 'no shared root')
})

test('a host deployed before namespacing: the first deployment adopts its root, runs its ApplicationStop and replaces its files', async () => {
  // what an earlier dops left: the root /var/lib/dops/apps/legacy with revision v0 current
  const dir = project('gamma', ['prod'], 'gamma')
  const old = hostLayout('legacy')
  const {file, inspected} = await bundleRevision(build(dir, 'gamma v0', 'gamma'), path.join(dir, '.cache'))
  const rev = await prepareRevision(file, old, {inspected})
  const {transport, hosts} = await fleetHosts(fleet, dir)
  let oldRev: string
  try {
    const r0 = await deployHost({transport, host: hosts[0]!, batch: 1, layout: old, revision: rev, deploymentId: 'd-old', phases: lifecyclePhases(rev.install, false), env: {DOPS_ENV: 'prod'}})
    assert.equal(r0.status, 'ok', r0.error)
    oldRev = r0.revision
  } finally {
    await transport.close()
  }
  writeFileSync(path.join(dir, 'dops.yml'), readFileSync(path.join(dir, 'dops.yml'), 'utf8').replace('  web:\n', '  legacy:\n').replace('apps: [web]', 'apps: [legacy]'))
  build(dir, 'gamma v1', 'gamma')
  const plan = json<DeployReport>(await dops(['deploy', '--plan', '--json'], {cwd: dir}))
  assert.equal(plan.plan.batches[0]![0]!.from, oldRev, 'the plan reads the old root before adopting it')
  const r = await dops(['deploy', '--json'], {cwd: dir})
  assert.equal(r.code, 0, r.stdout.slice(-3000) + r.stderr)
  assert.deepEqual(hooks().slice(-3), ['gamma v0 ApplicationStart prod', 'gamma v0 ApplicationStop prod', 'gamma v1 ApplicationStart prod'], "the old revision's ApplicationStop ran from its new place")
  assert.equal(readFileSync(fs('var/www/gamma/index.html'), 'utf8'), 'gamma v1\n')
  assert.equal(existsSync(fs('var/lib/dops/apps/legacy')), false)
  assert.ok(existsSync(fs(`var/lib/dops/apps/gamma.prod.legacy/revisions/${oldRev}/complete`)), 'the old revision moved along (a rollback can use it)')
})
