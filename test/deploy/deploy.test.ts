/**
 * `dops deploy`, `rollback`, `deploy status` and `deploy history` end to end: the built CLI, a plan, real sshd hosts.
 */
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, before, test} from 'node:test'
import type {DeployReport} from '../../src/deploy/deploy-job.js'
import {dops, json} from '../helpers.js'
import {startFleet, type Fleet} from '../fleet/fleet.js'

let fleet: Fleet
let project: string
let plannedId = ''
const N = 6
before(async () => {
  fleet = await startFleet({count: N, prefix: 'w'})
  project = mkdtempSync(path.join(os.tmpdir(), 'dops-deploy-'))
  writeFileSync(
    path.join(project, 'dops.yml'),
    `version: 1
project: shop
ssh:
  config: ${fleet.sshConfig}
apps:
  web:
    source: ./build
    build: sh make-revision.sh
    strategy: {batch: 2}
    healthCheck: {command: "grep -q h1 /var/www/app/index.html", retries: 2, interval: 200ms}
    env: {GREETING: hello}
environments:
  prod:
    groups:
      web:
        hosts: [${fleet.hosts.map((h) => h.name).join(', ')}]
        apps: [web]
`,
  )
})
after(async () => fleet?.stop())

const EVENTS = ['ApplicationStop', 'BeforeInstall', 'AfterInstall', 'ApplicationStart', 'ValidateService']
/** Writes ./build for version V; `hook` adds shell to one event's script. */
function makeBuild(version: string, hook: Record<string, string> = {}): void {
  const dir = path.join(project, 'build')
  mkdirSync(path.join(dir, 'scripts'), {recursive: true})
  mkdirSync(path.join(dir, 'site'), {recursive: true})
  writeFileSync(path.join(dir, 'site', 'index.html'), `<h1>${version}</h1>\n`)
  for (const e of EVENTS) {
    writeFileSync(path.join(dir, 'scripts', `${e}.sh`), `#!/bin/sh\necho "${version} $LIFECYCLE_EVENT $DOPS_BATCH $GREETING" >> /srv/hooks.log\n${hook[e] ?? ''}\n`)
    chmodSync(path.join(dir, 'scripts', `${e}.sh`), 0o755)
  }
  writeFileSync(path.join(dir, 'appspec.yml'), `version: 0.0\nos: linux\nfiles:\n  - source: site\n    destination: /var/www/app\nhooks:\n${EVENTS.map((e) => `  ${e}:\n    - location: scripts/${e}.sh\n      timeout: 30\n`).join('')}`)
  // the plan's build command: proves it runs before bundling
  writeFileSync(path.join(project, 'make-revision.sh'), `echo built > ${path.join(project, 'built.txt')}\n`)
}
const page = (i: number) => readFileSync(path.join(fleet.hosts[i]!.fsDir, 'var/www/app/index.html'), 'utf8').trim()
const run = (args: string[]) => dops(args, {cwd: project})

test('--plan prints hosts, batches, revisions and hooks, and changes nothing', async () => {
  makeBuild('v1')
  const r = await run(['deploy', '--plan', '--json'])
  assert.equal(r.code, 0, r.stderr)
  const rep = json<DeployReport>(r)
  assert.equal(rep.status, 'planned')
  assert.deepEqual(rep.plan.batches.map((b) => b.map((h) => h.host)), [['w01', 'w02'], ['w03', 'w04'], ['w05', 'w06']])
  assert.ok(rep.plan.batches.flat().every((h) => h.reachable && h.from === undefined))
  assert.deepEqual(rep.plan.hooks, EVENTS)
  assert.equal(existsSync(path.join(fleet.hosts[0]!.fsDir, 'var/www/app')), false)
  plannedId = rep.revision.id
})

/** Every path under `dir` with its size and mtime: equal listings mean nothing was written. */
function snapshot(dir: string): string[] {
  return readdirSync(dir, {recursive: true, encoding: 'utf8'}).sort().map((f) => {
    const st = statSync(path.join(dir, f))
    return `${f} ${st.size} ${st.mtimeMs}`
  })
}

test('--plan changes nothing: no build, no bundle, no archive extracted, no write in the project or on hosts', async () => {
  makeBuild('v1')
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'dops-plan-tmp-'))
  const archive = path.join(os.tmpdir(), `dops-plan-rev-${process.pid}.tgz`)
  execFileSync('tar', ['-czf', archive, '-C', path.join(project, 'build'), '.'])
  const before = snapshot(project)
  const hostsBefore = fleet.hosts.map((h) => snapshot(h.fsDir))
  const r = await dops(['deploy', '--plan', '--json'], {cwd: project, env: {TMPDIR: tmp}})
  assert.equal(r.code, 0, r.stderr)
  const rep = json<DeployReport>(r)
  assert.equal(existsSync(path.join(project, 'built.txt')), false, 'the build did not run')
  assert.match(rep.revision.note!, /build \(`sh make-revision.sh`\) runs first when deploying; --plan does not run it/)
  const fromArchive = await dops(['deploy', '--plan', '--json', '--revision', archive], {cwd: project, env: {TMPDIR: tmp}})
  assert.equal(fromArchive.code, 0, fromArchive.stderr)
  assert.equal(json<DeployReport>(fromArchive).revision.id, rep.revision.id, 'the archive is the same content')
  assert.deepEqual(snapshot(project), before, 'nothing written in the project (.dops/bundles included)')
  assert.deepEqual(readdirSync(tmp), [], 'no archive extracted')
  assert.deepEqual(fleet.hosts.map((h) => snapshot(h.fsDir)), hostsBefore, 'nothing written on the hosts')
  rmSync(archive, {force: true})
})

test('a deployment rolls out in batches, runs the build, hooks with the plan env, and records history', async () => {
  makeBuild('v1')
  const r = await run(['deploy', '--json'])
  assert.equal(r.code, 0, r.stdout.slice(-3000) + r.stderr)
  const rep = json<DeployReport>(r)
  assert.equal(rep.status, 'succeeded')
  assert.equal(rep.revision.id, plannedId, 'the plan named the revision that was deployed')
  assert.ok(existsSync(path.join(project, 'built.txt')), 'the build ran')
  for (let i = 0; i < N; i++) assert.equal(page(i), '<h1>v1</h1>')
  const log = readFileSync(path.join(fleet.hosts[4]!.fsDir, 'srv/hooks.log'), 'utf8')
  assert.match(log, /v1 ValidateService 3 hello/, 'w05 was in batch 3 and got the app env')
  const status = await run(['deploy', 'status', '--json'])
  const st = json<{groups: Record<string, {revision: string; differing: string[]}>}>(status)
  assert.equal(st.groups.web!.revision, rep.revision.id)
  assert.deepEqual(st.groups.web!.differing, [])
})

test('a failing ValidateService in batch 2 stops the rollout and rolls the changed hosts back', async () => {
  makeBuild('v2', {ValidateService: '[ "$DOPS_HOST" != w03 ] || { echo "w03 is unhappy" >&2; exit 1; }'})
  const r = await run(['deploy', '--json'])
  assert.equal(r.code, 20, r.stdout.slice(-3000))
  const rep = json<DeployReport>(r)
  assert.equal(rep.status, 'failed-rolled-back')
  const by = Object.fromEntries(rep.results.map((x) => [x.host, x]))
  assert.equal(by.w03!.status, 'failed')
  assert.match(by.w03!.error!, /ValidateService failed: script scripts\/ValidateService\.sh failed with exit code 1/)
  assert.equal(by.w05!.status, 'skipped')
  assert.deepEqual(rep.rollback!.results.map((x) => `${x.host}:${x.status}`).sort(), ['w01:ok', 'w02:ok', 'w03:ok', 'w04:ok'])
  for (let i = 0; i < N; i++) assert.equal(page(i), '<h1>v1</h1>', `w0${i + 1} runs v1`)
  const log = readFileSync(path.join(fleet.hosts[0]!.fsDir, 'srv/hooks.log'), 'utf8').trim().split('\n')
  assert.deepEqual(log.slice(-5).map((l) => l.split(' ').slice(0, 2).join(' ')), ['v2 ApplicationStop', 'v1 BeforeInstall', 'v1 AfterInstall', 'v1 ApplicationStart', 'v1 ValidateService'], 'the rollback ran v2\'s stop, then v1\'s start hooks')
})

test('a second deployment waits for the lock or fails with who holds it', async () => {
  makeBuild('v3', {ApplicationStart: 'sleep 2'})
  const first = run(['deploy', '--json', '-H', 'w01'])
  await new Promise((r) => setTimeout(r, 1200))
  const second = await run(['deploy', '--json', '-H', 'w02'])
  assert.equal(second.code, 22, second.stdout)
  assert.match(json<{error: {message: string}}>(second).error.message, /the deploy lock shop-prod-web on w01 is held by .* deployment d-/)
  const waited = run(['deploy', '--json', '-H', 'w02', '--wait', '60s'])
  assert.equal((await first).code, 0)
  assert.equal((await waited).code, 0)
})

test('a host whose sshd dies mid-deployment counts as failed; the budget decides', async () => {
  makeBuild('v4', {ApplicationStart: '[ "$DOPS_HOST" != w06 ] || sleep 4'})
  writeFileSync(path.join(project, 'dops.yml'), readFileSync(path.join(project, 'dops.yml'), 'utf8').replace('strategy: {batch: 2}', 'strategy: {batch: 3, maxFailures: 1}'))
  const pending = run(['deploy', '--json'])
  await new Promise((r) => setTimeout(r, 2500))
  await fleet.stopHost('w06')
  const r = await pending
  await fleet.startHost('w06')
  const rep = json<DeployReport>(r)
  const w06 = rep.results.find((x) => x.host === 'w06')!
  assert.notEqual(w06.status, 'ok')
  assert.equal(rep.status, 'succeeded', 'one failure is within the budget')
  assert.equal(r.code, 3)
})

test('a stale lock (expired lease) is taken over with its owner named; a live one only with --steal', async () => {
  const lockDir = path.join(fleet.hosts[0]!.fsDir, 'var/lib/dops/locks/shop-prod-web')
  mkdirSync(lockDir, {recursive: true})
  const owner = (expiresAt: number) => JSON.stringify({owner: 'ci@runner-7 pid 4242', deployment: 'd-killed', acquiredAt: '2026-01-01T00:00:00Z', expiresAt})
  writeFileSync(path.join(lockDir, 'owner'), owner(Math.floor(Date.now() / 1000) - 60))
  const stale = await run(['deploy', '--json', '-H', 'w01'])
  assert.equal(stale.code, 0, stale.stdout.slice(-2000))
  assert.match(json<DeployReport>(stale).lock!.takenOverFrom!, /ci@runner-7 pid 4242 \(deployment d-killed, lease expired/)
  assert.equal(existsSync(lockDir), false, 'released at the end')
  mkdirSync(lockDir, {recursive: true})
  writeFileSync(path.join(lockDir, 'owner'), owner(Math.floor(Date.now() / 1000) + 3600))
  const live = await run(['deploy', '--json', '-H', 'w01'])
  assert.equal(live.code, 22)
  assert.match(json<{error: {message: string}}>(live).error.message, /held by ci@runner-7 pid 4242, deployment d-killed.*--steal/)
  const stolen = await run(['deploy', '--json', '-H', 'w01', '--steal'])
  assert.equal(stolen.code, 0, stolen.stdout.slice(-2000))
})

test('dops rollback goes back to the previous good revision; history lists every deployment', async () => {
  const hist = json<{deployments: Array<{status: string; kind: string}>}>(await run(['deploy', 'history', '--json']))
  assert.ok(hist.deployments.length >= 4)
  const r = await run(['rollback', '--json', '-H', 'w01,w02'])
  assert.equal(r.code, 0, r.stdout.slice(-2000))
  const rep = json<DeployReport>(r)
  assert.equal(rep.kind, 'rollback')
  assert.equal(page(0), '<h1>v3</h1>')
})
