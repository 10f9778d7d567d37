/**
 * One host's deployment on real sshd hosts: upload, lifecycle order and environment, previous-revision
 * ApplicationStop, file_exists_behavior, timeouts, and a failed install that changes nothing.
 */
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, before, test} from 'node:test'
import {deployHost, lifecyclePhases, type DeployHostResult} from '../../src/deploy/deploy-host.js'
import {hostLayout} from '../../src/deploy/host-layout.js'
import {bundleRevision, prepareRevision} from '../../src/deploy/prepare.js'
import {resolveEnvironment} from '../../src/inventory/resolve.js'
import {parsePlan} from '../../src/plan/load.js'
import {createSshTransport} from '../../src/transport/factory.js'
import {startFleet, type Fleet} from '../fleet/fleet.js'
import {ROOT} from '../helpers.js'

let fleet: Fleet
before(async () => {
  fleet = await startFleet({count: 3, prefix: 'd'})
})
after(async () => fleet?.stop())

const EVENTS = ['ApplicationStop', 'BeforeInstall', 'AfterInstall', 'ApplicationStart', 'ValidateService']

/** A revision whose scripts log their event, environment and revision to /srv/hooks.log on the host. */
function makeRevision(version: string, opts: {appspecExtra?: string; script?: Record<string, string>; files?: Record<string, string>} = {}): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `rev-${version}-`))
  mkdirSync(path.join(dir, 'scripts'))
  mkdirSync(path.join(dir, 'site'))
  writeFileSync(path.join(dir, 'site', 'index.html'), `<h1>${version}</h1>\n`)
  for (const [f, c] of Object.entries(opts.files ?? {})) writeFileSync(path.join(dir, 'site', f), c)
  for (const e of EVENTS) {
    const body = opts.script?.[e] ?? ''
    writeFileSync(path.join(dir, 'scripts', `${e}.sh`), `#!/bin/sh\necho "${version} $LIFECYCLE_EVENT $DEPLOYMENT_ID $APPLICATION_NAME $DOPS_HOST $(pwd)" >> /srv/hooks.log\n${body}\n`)
    chmodSync(path.join(dir, 'scripts', `${e}.sh`), 0o755)
  }
  writeFileSync(
    path.join(dir, 'appspec.yml'),
    `version: 0.0\nos: linux\nfiles:\n  - source: site\n    destination: /var/www/app\n${opts.appspecExtra ?? ''}hooks:\n${EVENTS.map((e) => `  ${e}:\n    - location: scripts/${e}.sh\n      timeout: ${e === 'ValidateService' && opts.script?.ValidateService?.includes('sleep') ? 2 : 60}\n`).join('')}`,
  )
  return dir
}

const layout = hostLayout('web')
const cache = mkdtempSync(path.join(os.tmpdir(), 'dops-cache-'))
let n = 0

async function deploy(hostIndex: number, revDir: string, extra: {ignoreStopFailures?: boolean; keepReleases?: number} = {}): Promise<DeployHostResult> {
  const {loaded} = parsePlan(path.join(fleet.dir, 'dops.yml'), `version: 1\nproject: t\nssh:\n  config: ${fleet.sshConfig}\nenvironments:\n  e:\n    groups:\n      web:\n        hosts: [${fleet.hosts[hostIndex]!.name}]\n`)
  const host = (await resolveEnvironment(loaded, 'e'))[0]!
  const {file} = await bundleRevision(revDir, cache)
  const revision = await prepareRevision(file, layout)
  const transport = createSshTransport({projectDir: cache, planSsh: loaded.plan.ssh})
  try {
    return await deployHost({transport, host, batch: 1, layout, revision, deploymentId: `d-test${++n}`, phases: lifecyclePhases(revision.install, false), env: {DEPLOYMENT_ID: `d-test${n}`, APPLICATION_NAME: 'web', DOPS_HOST: host.name}, ...extra})
  } finally {
    await transport.close()
  }
}

const fsOf = (i: number) => fleet.hosts[i]!.fsDir
const hooksLog = (i: number) => (existsSync(path.join(fsOf(i), 'srv/hooks.log')) ? readFileSync(path.join(fsOf(i), 'srv/hooks.log'), 'utf8').trim().split('\n') : [])
// /var/www of a fleet host is its own directory
const www = (i: number, f: string) => path.join(fsOf(i), 'var/www', f)

test('first deployment: files installed, hooks in lifecycle order with the agent environment, from /', async () => {
  const r = await deploy(0, makeRevision('v1'))
  assert.equal(r.status, 'ok', r.error)
  assert.equal(r.uploaded, true)
  assert.equal(readFileSync(www(0, 'app/index.html'), 'utf8'), '<h1>v1</h1>\n')
  assert.deepEqual(hooksLog(0), ['BeforeInstall', 'AfterInstall', 'ApplicationStart', 'ValidateService'].map((e) => `v1 ${e} d-test${n} web d01 /`))
  assert.equal(r.events.find((e) => e.event === 'ApplicationStop')?.status, 'skipped', 'no previous revision on a first deployment')
  assert.equal(r.switched, true)
  assert.equal(readlinkSync(path.join(fsOf(0), 'var/lib/dops/apps/web/current')), `revisions/${r.revision}`)
  assert.match(readFileSync(path.join(fsOf(0), `var/lib/dops/apps/web/logs/d-test${n}.log`), 'utf8'), /LifecycleEvent - AfterInstall/)
})

test('the same revision again is safe and sends nothing; a new one runs the previous revision\'s ApplicationStop and replaces its files', async () => {
  const v1 = makeRevision('v1')
  const again = await deploy(0, v1)
  assert.equal(again.status, 'ok', again.error)
  assert.equal(again.uploaded, false, 'the host already had it')
  const v2 = await deploy(0, makeRevision('v2', {files: {'new.txt': 'new\n'}}))
  assert.equal(v2.status, 'ok', v2.error)
  const log = hooksLog(0)
  assert.equal(log.at(-5), `v1 ApplicationStop d-test${n} web d01 /`, 'ApplicationStop came from the previous revision (v1), with this deployment\'s environment')
  assert.equal(readFileSync(www(0, 'app/index.html'), 'utf8'), '<h1>v2</h1>\n')
  assert.ok(existsSync(www(0, 'app/new.txt')))
})

test('a failing hook stops the host\'s deployment and says which script failed', async () => {
  const r = await deploy(1, makeRevision('bad', {script: {AfterInstall: 'echo broken >&2; exit 3'}}))
  assert.equal(r.status, 'failed')
  assert.equal(r.failedEvent, 'AfterInstall')
  assert.match(r.error!, /AfterInstall failed: script scripts\/AfterInstall\.sh failed with exit code 3/)
  assert.match(r.stderr, /broken/)
  assert.ok(!hooksLog(1).some((l) => l.includes('ApplicationStart')), 'later events did not run')
})

test('a hook over its timeout is killed with its children', async () => {
  // durations of this run's own (other files, and other runs, may have a `sleep 600` of their own on this machine)
  const [a, b] = [`600.${process.pid}`, `601.${process.pid}`]
  const r = await deploy(2, makeRevision('slow', {script: {ValidateService: `sleep ${a} & sleep ${b}`}}))
  assert.equal(r.status, 'failed')
  assert.match(r.error!, /ValidateService failed: script scripts\/ValidateService\.sh timed out after 2s/)
  const ps = readdirProc(2)
  assert.ok(!ps.some((c) => c === `sleep ${a}` || c === `sleep ${b}`), `left: ${ps.join(', ')}`)
})

test('DISALLOW: a file the previous deployment did not install is a conflict, and nothing changes', async () => {
  mkdirSync(path.join(fsOf(2), 'var/www/app'), {recursive: true})
  writeFileSync(www(2, 'app/handmade.txt'), 'hand-made\n')
  const indexBefore = readFileSync(www(2, 'app/index.html'), 'utf8')
  const logBefore = hooksLog(2).length
  const r = await deploy(2, makeRevision('v3', {files: {'handmade.txt': 'from the revision\n'}}))
  assert.equal(r.status, 'failed')
  assert.equal(r.errorKind, 'conflict')
  assert.match(r.error!, /1 file\(s\) already exist.*\/var\/www\/app\/handmade\.txt; nothing was changed/)
  assert.equal(readFileSync(www(2, 'app/handmade.txt'), 'utf8'), 'hand-made\n')
  assert.equal(readFileSync(www(2, 'app/index.html'), 'utf8'), indexBefore, 'the previous files are still there')
  const ok = await deploy(2, makeRevision('v3', {files: {'handmade.txt': 'from the revision\n'}, appspecExtra: 'file_exists_behavior: RETAIN\n'}))
  assert.equal(ok.status, 'ok', ok.error)
  assert.equal(readFileSync(www(2, 'app/handmade.txt'), 'utf8'), 'hand-made\n', 'RETAIN keeps it')
  assert.equal(readFileSync(www(2, 'app/index.html'), 'utf8'), '<h1>v3</h1>\n')
  const ow = await deploy(2, makeRevision('v4', {files: {'handmade.txt': 'from the revision\n'}, appspecExtra: 'file_exists_behavior: OVERWRITE\n'}))
  assert.equal(ow.status, 'ok', ow.error)
  assert.equal(readFileSync(www(2, 'app/handmade.txt'), 'utf8'), 'from the revision\n', 'OVERWRITE replaces it')
  assert.ok(hooksLog(2).length > logBefore)
})

test('the previous revision\'s failing ApplicationStop is named as such; --ignore-application-stop-failures goes on', async () => {
  const broken = await deploy(1, makeRevision('stopbroken', {script: {ApplicationStop: 'exit 9'}}))
  assert.equal(broken.status, 'ok', broken.error)
  const next = await deploy(1, makeRevision('afterbroken'))
  assert.equal(next.status, 'failed')
  assert.match(next.error!, new RegExp(`ApplicationStop of the previous revision \\(${broken.revision}\\) failed: script scripts/ApplicationStop\\.sh failed with exit code 9\\. It is the previous revision's script that failed; deploy with --ignore-application-stop-failures`))
  assert.equal(next.switched, false, 'nothing was installed')
  const ignored = await deploy(1, makeRevision('afterbroken'), {ignoreStopFailures: true})
  assert.equal(ignored.status, 'ok', ignored.error)
  assert.equal(ignored.events.find((e) => e.event === 'ApplicationStop')?.status, 'ignored')
})

test('permissions: modes and owners apply to what this deployment created, in the agent\'s matching', async () => {
  const dir = makeRevision('perm', {files: {'run.sh': '#!/bin/sh\n', 'data.txt': 'x\n'}, appspecExtra: 'permissions:\n  - object: /var/www/app\n    pattern: "*.sh"\n    mode: 750\n    owner: nobody\n    type: [file]\n  - object: /var/www/app\n    pattern: "*.txt"\n    mode: "0600"\n    type: [file]\n'})
  const r = await deploy(0, dir)
  assert.equal(r.status, 'ok', r.error)
  const {statSync} = await import('node:fs')
  const st = statSync(www(0, 'app/run.sh'))
  assert.equal((st.mode & 0o777).toString(8), '750')
  assert.equal(st.uid, 65534, 'owned by nobody')
  assert.equal((statSync(www(0, 'app/data.txt')).mode & 0o777).toString(8), '600')
  assert.equal((statSync(www(0, 'app/index.html')).mode & 0o777).toString(8), '644', 'untouched by the patterns')
})

const hasSetfacl = spawnSync('sh', ['-c', 'command -v setfacl']).status === 0
test('ACLs from permissions are applied with setfacl; an SELinux context on a host without SELinux is skipped with a warning', {skip: hasSetfacl ? false : 'setfacl is not installed (apt-get install acl)'}, async () => {
  const dir = makeRevision('acl', {files: {'data.txt': 'x\n'}, appspecExtra: 'permissions:\n  - object: /var/www/app\n    pattern: "*.txt"\n    mode: "0640"\n    acls: ["u:nobody:rw", "g:nogroup:r"]\n    context: {type: httpd_sys_content_t, range: s0}\n    type: [file]\n'})
  const r = await deploy(1, dir)
  assert.equal(r.status, 'ok', r.error)
  const acl = spawnSync('getfacl', ['-c', www(1, 'app/data.txt')], {encoding: 'utf8'}).stdout
  assert.match(acl, /^user:nobody:rw-$/m)
  assert.match(acl, /^group:nogroup:r--$/m)
  assert.match(acl, /^user::rw-$/m, 'the base entries come from the mode')
  assert.match(r.stderr, /SELinux is not enabled on this host: the appspec's SELinux contexts were not applied/)
})

test('releases are pruned to N good ones; a failed one never counts and the newest failed one is kept', async () => {
  const revs: string[] = []
  for (const v of ['p1', 'p2', 'p3']) revs.push((await deploy(0, makeRevision(v), {keepReleases: 2})).revision)
  const bad = await deploy(0, makeRevision('pbad', {script: {AfterInstall: 'exit 1'}}), {keepReleases: 2})
  assert.equal(bad.status, 'failed')
  const last = await deploy(0, makeRevision('p4'), {keepReleases: 2})
  assert.equal(last.status, 'ok', last.error)
  const kept = readdirSync(path.join(fsOf(0), 'var/lib/dops/apps/web/revisions')).filter((d) => !d.startsWith('.'))
  assert.ok(kept.includes(last.revision), 'the new one')
  assert.ok(kept.includes(revs[2]!), 'the newest good one before it')
  assert.ok(kept.includes(bad.revision), 'the newest failed one, as evidence')
  assert.ok(!kept.includes(revs[0]!) && !kept.includes(revs[1]!), `older good ones pruned: ${kept.join(', ')}`)
})

test('the shapes of CodeDeploy\'s public samples deploy: SampleApp_Linux and a whole-bundle config-management app', async () => {
  const sampleApp = await deploy(1, path.join(ROOT, 'test/fixtures/revisions/sample-app'))
  assert.equal(sampleApp.status, 'ok', sampleApp.error)
  assert.match(readFileSync(path.join(fsOf(1), 'var/www/html/index.html'), 'utf8'), /dops sample/)
  assert.match(sampleApp.stdout, /install_dependencies BeforeInstall/)
  const whole = await deploy(1, path.join(ROOT, 'test/fixtures/revisions/whole-bundle'))
  assert.equal(whole.status, 'ok', whole.error)
  assert.ok(existsSync(path.join(fsOf(1), 'opt/codedeploy/appspec.yml')), 'source: / copies the whole bundle, appspec included')
  assert.ok(existsSync(path.join(fsOf(1), 'opt/codedeploy/playbooks/site.yml')))
  assert.deepEqual(whole.events.filter((e) => e.status === 'ok').map((e) => e.event), ['ApplicationStop', 'BeforeInstall', 'Install', 'ApplicationStart', 'ValidateService'], 'SampleApp\'s stop_server ran first, as the previous revision')
})

/** Command lines of the processes of fleet host i (its own PID namespace), read through its /proc via ssh-less means. */
function readdirProc(i: number): string[] {
  // the host's processes are visible from this machine's /proc; match on the host's mount of /srv
  const out: string[] = []
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim()
      if (cmd.startsWith('sleep 60')) out.push(cmd)
    } catch {
      // gone
    }
  }
  void i
  return out
}
