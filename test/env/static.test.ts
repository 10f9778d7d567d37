/**
 * Static hosts join an environment like created ones: a `web` group of existing fleet hosts (real sshd hosts,
 * reached through the fleet's ssh_config) with a bootstrap script and an app, and an `lb` group on the local provider
 * listening to web's hostsJoined/hostsLeft. Each static host is bootstrapped once (again only when the script
 * changes), announced when it joins and when the plan drops it; a host that leaves, and every static host at
 * env down, is left exactly as it was (its files, checked on the host's own filesystem, byte for byte and mtime).
 */
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync, existsSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, before, test} from 'node:test'
import type {EnvReport} from '../../src/env/env-job.js'
import {startFleet, type Fleet} from '../fleet/fleet.js'
import {dops, json} from '../helpers.js'
import {cleanUpLocalEnv, removeProject} from './local-cleanup.js'

let fleet: Fleet
let project: string
const run = (args: string[]) => dops(args, {cwd: project, env: {DOPS_ENV: 'prod'}})
const hostFile = (i: number, f: string) => {
  const p = path.join(fleet.hosts[i]!.fsDir, f)
  return existsSync(p) ? readFileSync(p, 'utf8').trim().split('\n').filter(Boolean) : []
}
/** the address ssh connects to for a host of the fleet's ssh_config: the oracle for DOPS_*_HOSTS */
const sshAddress = (name: string) => /^hostname (\S+)$/m.exec(execFileSync('ssh', ['-G', '-F', fleet.sshConfig, name], {encoding: 'utf8'}))![1]!
/** every file under a host's filesystem with its content and mtime: "untouched" means this is unchanged */
const snapshot = (i: number): string[] => {
  const out: string[] = []
  const walk = (d: string) => {
    for (const n of readdirSync(d).sort()) {
      const p = path.join(d, n)
      const st = statSync(p)
      if (st.isDirectory()) walk(p)
      else out.push(`${path.relative(fleet.hosts[i]!.fsDir, p)} ${st.mtimeMs} ${readFileSync(p, 'utf8')}`)
    }
  }
  walk(fleet.hosts[i]!.fsDir)
  return out
}
const lbEvents = async () => {
  const r = await run(['run', '-g', 'lb', '--json', '--', 'cat /srv/events.log 2>/dev/null || true'])
  return json<{results: Array<{stdout: string}>}>(r).results[0]!.stdout.trim().split('\n').filter(Boolean)
}
const writePlan = (hosts: string[]) =>
  writeFileSync(
    path.join(project, 'dops.yml'),
    `version: 1
project: statictest
ssh: {config: ${fleet.sshConfig}}
providers:
  sandbox: {type: local}
apps:
  web: {source: ./app}
environments:
  prod:
    groups:
      lb:
        provider: sandbox
        instance: {count: 1}
      web:
        hosts: [${hosts.join(', ')}]
        dependsOn: [lb]
        bootstrap:
          - script: scripts/boot.sh
        apps: [web]
        on:
          hostsJoined: [{group: lb, run: 'echo "joined $DOPS_CHANGED_HOSTS|$DOPS_HOSTS" >> /srv/events.log'}]
          hostsLeft: [{group: lb, run: 'echo "left $DOPS_CHANGED_HOSTS|$DOPS_HOSTS" >> /srv/events.log'}]
  inv:
    groups:
      fleet:
        inventory: {path: ${fleet.inventoryYaml}, group: fleet}
        bootstrap:
          - run: 'test -e /srv/allow-inv && echo "inv $DOPS_HOST" >> /srv/inv.log'
        on:
          hostsJoined: [{group: fleet, run: 'echo "joined $DOPS_CHANGED_HOSTS" >> /srv/inv-events.log'}]
`,
  )
const writeBoot = (v: string) => writeFileSync(path.join(project, 'scripts/boot.sh'), `#!/bin/sh\nset -e\nmkdir -p /srv\necho "boot ${v} $DOPS_HOST lb=$DOPS_LB_HOSTS" >> /srv/boot.log\n`)
const planExit = async () => {
  const r = await run(['env', 'plan', '--detailed-exitcode', '--json'])
  assert.ok([0, 10].includes(r.code), r.stdout.slice(-2000) + r.stderr)
  return {code: r.code, plan: json<EnvReport>(r)}
}
const up = async () => {
  const r = await run(['env', 'up', '--json'])
  assert.equal(r.code, 0, r.stdout.slice(-3000) + r.stderr)
  return json<EnvReport>(r)
}
const lbAddress = async () => json<{hosts: Array<{address: string}>}>(await run(['hosts', '-g', 'lb', '--json'])).hosts[0]!.address

before(async () => {
  fleet = await startFleet({count: 3, prefix: 's'})
  project = mkdtempSync(path.join(os.tmpdir(), 'dops-static-'))
  mkdirSync(path.join(project, 'app'), {recursive: true})
  mkdirSync(path.join(project, 'scripts'), {recursive: true})
  writeFileSync(path.join(project, 'app/appspec.yml'), 'version: 0.0\nos: linux\nfiles:\n  - source: index.html\n    destination: /srv/web\n')
  writeFileSync(path.join(project, 'app/index.html'), 'web\n')
  writeBoot('v1')
  writePlan(['s01', 's02'])
})
after(async () => {
  if (project) {
    const problems = await cleanUpLocalEnv({project: 'statictest', projectDir: project, env: 'prod', dopsEnv: {DOPS_ENV: 'prod'}})
    if (problems.length) console.error(`cleanup: ${problems.join('; ')}`)
  }
  await fleet?.stop()
  if (project) removeProject(project)
})

test('validate describes the static group: its hosts, bootstrap once, the events and who hears them', async () => {
  const r = await run(['validate'])
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stdout, /prod\/web \(static\): 2 existing host\(s\), never created or destroyed; env up bootstraps each host once when it joins \(1 script\(s\); again when they change\); hostsJoined -> lb; hostsLeft -> lb; apps: web/)
})

test('env up: the static hosts join: bootstrapped once, given the app, announced to the listening group', async () => {
  const {code, plan} = await planExit()
  assert.equal(code, 10)
  assert.deepEqual(plan.steps.filter((s) => s.kind === 'join' || s.kind === 'announce'), [
    {kind: 'join', group: 'web', hosts: ['s01', 's02'], again: [], bootstrap: true},
    {kind: 'announce', group: 'web', event: 'hostsJoined', hosts: ['s01', 's02'], new: 0},
  ])
  const dry = await run(['env', 'up', '--dry-run'])
  assert.equal(dry.code, 0, dry.stderr)
  assert.match(dry.stdout, /join web \(static hosts; recorded, bootstrapped, nothing created\): s01, s02/)
  assert.deepEqual(hostFile(0, 'srv/boot.log'), [], 'the dry run ran nothing')
  const rep = await up()
  const lb = await lbAddress()
  assert.deepEqual(rep.bootstrap.map((b) => `${b.group}:${b.ok}/${b.failed}`), ['web:2/0'])
  assert.deepEqual(hostFile(0, 'srv/boot.log'), [`boot v1 s01 lb=${lb}`])
  assert.deepEqual(hostFile(1, 'srv/boot.log'), [`boot v1 s02 lb=${lb}`])
  assert.deepEqual(hostFile(0, 'srv/web/index.html'), ['web'], 'the app is deployed on the static host')
  assert.deepEqual(hostFile(1, 'srv/web/index.html'), ['web'])
  const [a1, a2] = [sshAddress('s01'), sshAddress('s02')]
  assert.deepEqual(await lbEvents(), [`joined ${a1} ${a2}|${a1} ${a2}`])
  const state = JSON.parse(readFileSync(path.join(project, '.dops/state/statictest-prod.json'), 'utf8')) as {static: Record<string, {hosts: Array<{name: string; bootstrap?: string; ready?: boolean}>}>}
  assert.deepEqual(state.static.web!.hosts.map((h) => [h.name, /^sha256:[0-9a-f]{32}$/.test(h.bootstrap ?? ''), h.ready]), [['s01', true, undefined], ['s02', true, undefined]])
})

test('a second env up changes nothing: plan exits 0, no bootstrap, no event', async () => {
  assert.equal((await planExit()).code, 0)
  const rep = await up()
  assert.deepEqual(rep.bootstrap, [])
  assert.deepEqual(rep.events, [])
  assert.equal(hostFile(0, 'srv/boot.log').length, 1)
  assert.equal((await lbEvents()).length, 1)
})

test('a changed bootstrap script: plan shows the hosts to bootstrap again (exit 10), up runs it once, nobody is announced again', async () => {
  writeBoot('v2')
  const {code, plan} = await planExit()
  assert.equal(code, 10)
  assert.deepEqual(plan.steps.filter((s) => s.kind === 'join'), [{kind: 'join', group: 'web', hosts: [], again: ['s01', 's02'], bootstrap: true}])
  const text = await run(['env', 'plan'])
  assert.match(text.stdout, /bootstrap web again \(its bootstrap changed\): s01, s02/)
  await up()
  const lb = await lbAddress()
  assert.deepEqual(hostFile(0, 'srv/boot.log'), [`boot v1 s01 lb=${lb}`, `boot v2 s01 lb=${lb}`])
  assert.deepEqual(hostFile(1, 'srv/boot.log'), [`boot v1 s02 lb=${lb}`, `boot v2 s02 lb=${lb}`])
  assert.equal((await lbEvents()).length, 1)
  assert.equal((await planExit()).code, 0)
})

test('a static host added to the plan joins: bootstrapped, deployed to, announced with hostsJoined naming it', async () => {
  writePlan(['s01', 's02', 's03'])
  const {code, plan} = await planExit()
  assert.equal(code, 10)
  assert.deepEqual(plan.changes.find((c) => c.group === 'web')!.static, {joining: ['s03'], again: [], leaving: []})
  await up()
  assert.equal(hostFile(2, 'srv/boot.log').length, 1)
  assert.match(hostFile(2, 'srv/boot.log')[0]!, /^boot v2 s03 /)
  assert.equal(hostFile(0, 'srv/boot.log').length, 2, 'the others are not bootstrapped again')
  assert.deepEqual(hostFile(2, 'srv/web/index.html'), ['web'])
  const [a1, a2, a3] = ['s01', 's02', 's03'].map(sshAddress)
  assert.equal((await lbEvents()).at(-1), `joined ${a3}|${a1} ${a2} ${a3}`)
})

test('a static host removed from the plan leaves: hostsLeft names it, its record goes, the host itself is untouched', async () => {
  const before = snapshot(1)
  writePlan(['s01', 's03'])
  const {code, plan} = await planExit()
  assert.equal(code, 10)
  assert.deepEqual(plan.steps.filter((s) => s.kind === 'leave' || s.kind === 'announce'), [
    {kind: 'announce', group: 'web', event: 'hostsLeft', hosts: ['s02'], gone: false},
    {kind: 'leave', group: 'web', hosts: ['s02']},
  ])
  const rep = await up()
  assert.deepEqual(rep.events.map((e) => `${e.group}.${e.event}->${e.handlerGroup}:${e.ok}/${e.failed}`), ['web.hostsLeft->lb:1/0'])
  const [a1, a2, a3] = ['s01', 's02', 's03'].map(sshAddress)
  assert.equal((await lbEvents()).at(-1), `left ${a2}|${a1} ${a3}`)
  assert.deepEqual(snapshot(1), before, 'nothing on the host that left changed')
  assert.ok(before.some((f) => f.startsWith('srv/web/index.html')), 'its app files are still there')
  const state = JSON.parse(readFileSync(path.join(project, '.dops/state/statictest-prod.json'), 'utf8')) as {static: Record<string, {hosts: Array<{name: string}>}>}
  assert.deepEqual(state.static.web!.hosts.map((h) => h.name), ['s01', 's03'])
  assert.equal((await planExit()).code, 0)
})

test('env down destroys the sandbox only; the static hosts are left as they are and it says so', async () => {
  const before = [snapshot(0), snapshot(2)]
  const r = await run(['env', 'down', '--yes', '--json'])
  assert.equal(r.code, 0, r.stdout.slice(-3000) + r.stderr)
  const rep = json<EnvReport>(r)
  assert.deepEqual(rep.changes.map((c) => c.group), ['lb'])
  assert.deepEqual(rep.untouched, [{group: 'web', hosts: ['s01', 's03']}])
  assert.deepEqual([snapshot(0), snapshot(2)], before, 'nothing on the static hosts changed')
  const still = await run(['run', '-g', 'web', '--', 'test -s /srv/boot.log'])
  assert.equal(still.code, 0, 'the static hosts still answer')
})

test('an inventory group joins too; a host whose bootstrap failed is not joined: plan shows it again, the next up bootstraps and then announces', async () => {
  const inv = (args: string[]) => dops([...args, '-e', 'inv', '--json'], {cwd: project})
  for (const i of [0, 1]) writeFileSync(path.join(fleet.hosts[i]!.fsDir, 'srv/allow-inv'), '')
  const first = await inv(['env', 'up'])
  assert.equal(first.code, 3, first.stdout.slice(-2000) + first.stderr)
  assert.deepEqual(json<EnvReport>(first).bootstrap.map((b) => `${b.group}:${b.ok}/${b.failed}`), ['fleet:2/1'])
  assert.deepEqual(json<EnvReport>(first).events, [], 'nobody is announced before its bootstrap succeeded')
  const plan = json<EnvReport>(await inv(['env', 'plan']))
  assert.deepEqual(plan.steps.filter((s) => s.kind === 'join'), [{kind: 'join', group: 'fleet', hosts: ['s01', 's02', 's03'], again: [], bootstrap: true}])
  const ready = async () => json<{groups: Array<{hosts: Array<{name: string; ready?: boolean}>}>}>(await inv(['env', 'status'])).groups[0]!.hosts.map((h) => `${h.name}:${h.ready}`)
  assert.deepEqual(await ready(), ['s01:false', 's02:false', 's03:false'], 'env status: not joined yet')
  writeFileSync(path.join(fleet.hosts[2]!.fsDir, 'srv/allow-inv'), '')
  const again = await inv(['env', 'up'])
  assert.equal(again.code, 0, again.stdout.slice(-2000) + again.stderr)
  assert.deepEqual(await ready(), ['s01:true', 's02:true', 's03:true'])
  assert.deepEqual(hostFile(2, 'srv/inv.log'), ['inv s03'])
  const all = ['s01', 's02', 's03'].map(sshAddress).join(' ')
  for (const i of [0, 1, 2]) assert.deepEqual(hostFile(i, 'srv/inv-events.log'), [`joined ${all}`])
  const done = await dops(['env', 'plan', '-e', 'inv', '--detailed-exitcode'], {cwd: project})
  assert.equal(done.code, 0, done.stdout + done.stderr)
})
