/**
 * One environment across providers: an `edge` group of static hosts (a fleet host that dops never creates or
 * destroys) in front of an `api` group on the local provider. The static host hears every membership change
 * (hostsJoined/hostsLeft handlers) and the app's traffic commands; scale down and env down drain the app (traffic
 * blocked on the edge, ApplicationStop run) before the hosts go, and leave the static host alone.
 */
import assert from 'node:assert/strict'
import {existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
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
const edgeFile = (f: string) => readFileSync(path.join(fleet.hosts[0]!.fsDir, 'srv', f), 'utf8').trim().split('\n')
const apiAddresses = async () => (json<{hosts?: Array<{address: string}>}>(await run(['hosts', '-g', 'api', '--json'])).hosts ?? []).map((h) => h.address)

before(async () => {
  fleet = await startFleet({count: 1, prefix: 'm'})
  project = mkdtempSync(path.join(os.tmpdir(), 'dops-mixed-'))
  mkdirSync(path.join(project, 'app/scripts'), {recursive: true})
  writeFileSync(path.join(project, 'app/appspec.yml'), 'version: 0.0\nos: linux\nfiles:\n  - source: index.html\n    destination: /srv/api\nhooks:\n  ApplicationStop:\n    - location: scripts/stop.sh\n')
  writeFileSync(path.join(project, 'app/index.html'), 'api\n')
  writeFileSync(path.join(project, 'app/scripts/stop.sh'), '#!/bin/sh\necho stopped > /srv/api/stopped\n')
  writeFileSync(
    path.join(project, 'dops.yml'),
    `version: 1
project: mixedtest
ssh: {config: ${fleet.sshConfig}}
providers:
  sandbox: {type: local}
apps:
  api:
    source: ./app
    traffic:
      group: edge
      block: echo "block $DOPS_HOST_ADDRESS" >> /srv/traffic.log
      allow: echo "allow $DOPS_HOST_ADDRESS" >> /srv/traffic.log
environments:
  prod:
    groups:
      edge:
        hosts: [m01]
      api:
        provider: sandbox
        instance: {count: 2}
        dependsOn: [edge]
        bootstrap:
          - run: mkdir -p /etc/dops && echo "$DOPS_EDGE_HOSTS" > /etc/dops/edge
        apps: [api]
        on:
          hostsJoined: [{group: edge, run: 'echo "$DOPS_EVENT $DOPS_HOSTS" >> /srv/members.log; cp "$DOPS_MEMBERS_FILE" /srv/members.json'}]
          hostsLeft: [{group: edge, run: 'echo "$DOPS_EVENT $DOPS_HOSTS" >> /srv/members.log'}]
  flaky:
    groups:
      edge:
        hosts: [m01]
      w:
        provider: sandbox
        instance: {count: 1}
        bootstrap:
          - run: test "\${env:BOOT_OK:-no}" = yes
        on:
          hostsJoined: [{group: edge, run: 'echo "$DOPS_EVENT $DOPS_HOSTS" >> /srv/flaky.log'}]
  slow:
    groups:
      a:
        provider: sandbox
        instance: {count: 1}
        bootstrap:
          - {name: slow, run: sleep 2}
      b:
        provider: sandbox
        instance: {count: 1}
        dependsOn: [a]
`,
  )
})
after(async () => {
  // even when a test failed half-way: nothing of these environments is left running for the next test file
  for (const env of project ? ['prod', 'flaky', 'slow'] : []) {
    const problems = await cleanUpLocalEnv({project: 'mixedtest', projectDir: project, env, dopsEnv: {DOPS_ENV: 'prod'}})
    if (problems.length) console.error(`cleanup of ${env}: ${problems.join('; ')}`)
  }
  await fleet?.stop()
  if (project) removeProject(project)
})

test('env up: the static group is used as it is, the local group is created, bootstrapped with its address, and announced to it', async () => {
  const plan = json<EnvReport>(await run(['env', 'plan', '--json']))
  assert.deepEqual(plan.changes.map((c) => `${c.group}:${c.provider}:keep ${c.keep}:create ${c.create}`), ['edge:static:keep 1:create 0', 'api:sandbox:keep 0:create 2'])
  const up = await run(['env', 'up', '--json'])
  assert.equal(up.code, 0, up.stdout.slice(-3000) + up.stderr)
  // each bootstrap and handler run is in the report and its journal, host by host
  const rep = json<EnvReport>(up)
  const journal = JSON.parse(readFileSync(rep.journal!, 'utf8')) as EnvReport
  assert.equal(journal.runId, rep.runId)
  assert.deepEqual(journal.events.map((e) => `${e.group}.${e.event}->${e.handlerGroup}:${e.hosts.map((h) => `${h.host}=${h.status}`).join(',')}`), ['api.hostsJoined->edge:m01=ok'])
  assert.deepEqual(journal.bootstrap.map((b) => b.hosts.map((h) => h.status).join(',')), ['ok,ok'])
  const api = await apiAddresses()
  assert.equal(api.length, 2)
  assert.deepEqual(edgeFile('members.log'), [`hostsJoined ${api.join(' ')}`])
  const members = JSON.parse(readFileSync(path.join(fleet.hosts[0]!.fsDir, 'srv/members.json'), 'utf8')) as {event: string; group: string; hosts: Array<{name: string; address: string}>}
  assert.deepEqual([members.event, members.group, members.hosts.map((h) => h.address)], ['hostsJoined', 'api', api])
  assert.deepEqual(readdirSync(path.join(fleet.hosts[0]!.fsDir, 'tmp')).filter((f) => f.startsWith('dops-members.')), [], 'the file is removed after the handler')
  const edge = await run(['run', '-g', 'api', '--json', '--', 'cat /etc/dops/edge'])
  assert.deepEqual(json<{results: Array<{stdout: string}>}>(edge).results.map((r) => r.stdout.trim()), [fleet.hosts[0]!.address, fleet.hosts[0]!.address])
})

test('scale down: the edge drops the host, the app is taken out of traffic and stopped, then the host goes', async () => {
  const [keep, gone] = await apiAddresses()
  const r = await run(['scale', 'api=1', '--yes', '--json'])
  assert.equal(r.code, 0, r.stdout.slice(-3000) + r.stderr)
  const rep = json<EnvReport>(r)
  assert.deepEqual(edgeFile('members.log').at(-1), `hostsLeft ${keep}`)
  assert.equal(edgeFile('traffic.log').at(-1), `block ${gone}`)
  assert.equal(rep.drains.length, 1)
  assert.equal(rep.drains[0]!.status, 'ok', JSON.stringify(rep.drains))
  assert.deepEqual(rep.drains[0]!.events, ['BeforeBlockTraffic: skipped (no scripts)', 'BlockTraffic: ok (1 traffic host(s))', 'AfterBlockTraffic: skipped (no scripts)', 'ApplicationStop: ok'])
  assert.deepEqual(await apiAddresses(), [keep])
})

test('env down destroys only what it created, after telling the static group and draining; the static host keeps running', async () => {
  const [last] = await apiAddresses()
  const r = await run(['env', 'down', '--yes', '--json'])
  assert.equal(r.code, 0, r.stdout.slice(-3000) + r.stderr)
  const rep = json<EnvReport>(r)
  assert.deepEqual(rep.changes.map((c) => c.group), ['api'])
  assert.deepEqual(rep.events.map((e) => `${e.group}.${e.event}->${e.handlerGroup}:${e.ok}`), ['api.hostsLeft->edge:1'])
  assert.equal(edgeFile('members.log').at(-1), 'hostsLeft')
  assert.equal(edgeFile('traffic.log').at(-1), `block ${last}`)
  assert.deepEqual(rep.drains.map((d) => `${d.host}:${d.status}`), ['api-1:ok'])
  const still = await run(['run', '-g', 'edge', '--', 'test -s /srv/members.log'])
  assert.equal(still.code, 0, 'the static host is untouched and still answers')
  assert.deepEqual(await apiAddresses(), [])
})

test('a host whose bootstrap failed is not forgotten: plan shows it, the next up prepares it again and only then announces it', async () => {
  const first = await run(['env', 'up', '-e', 'flaky', '--json'])
  assert.equal(first.code, 3, first.stdout.slice(-2000) + first.stderr)
  assert.deepEqual(json<EnvReport>(first).bootstrap.map((b) => `${b.group}:${b.ok}/${b.failed}`), ['w:0/1'])
  const plan = json<EnvReport>(await run(['env', 'plan', '-e', 'flaky', '--json']))
  const w = plan.changes.find((c) => c.group === 'w')!
  assert.deepEqual([w.keep, w.create, w.pending, plan.changed], [1, 0, 1, true])
  const again = await dops(['env', 'up', '-e', 'flaky', '--json'], {cwd: project, env: {DOPS_ENV: 'prod', BOOT_OK: 'yes'}})
  assert.equal(again.code, 0, again.stdout.slice(-2000) + again.stderr)
  const r = json<EnvReport>(again)
  assert.deepEqual(r.bootstrap.map((b) => `${b.group}:${b.ok}/${b.failed}`), ['w:1/0'])
  assert.deepEqual(r.changes.find((c) => c.group === 'w')!.create, 0, 'the same host, not a new one')
  const addr = json<{hosts: Array<{address: string}>}>(await run(['hosts', '-e', 'flaky', '-g', 'w', '--json'])).hosts[0]!.address
  assert.deepEqual(edgeFile('flaky.log'), [`hostsJoined ${addr}`])
  const done = json<EnvReport>(await dops(['env', 'plan', '-e', 'flaky', '--json'], {cwd: project, env: {DOPS_ENV: 'prod', BOOT_OK: 'yes'}}))
  assert.equal(done.changed, false)
})

test('on a terminal, env down asks before destroying: "no" changes nothing (exit 6), "yes" goes on', async () => {
  const {spawnSync} = await import('node:child_process')
  const {BIN} = await import('../helpers.js')
  const onTerminal = (answer: string) => {
    const env: NodeJS.ProcessEnv = {...process.env, DOPS_ENV: 'flaky', NO_COLOR: '1'}
    delete env.CI
    // `script` gives the command a pseudo-terminal; the answer is typed on it
    return spawnSync('script', ['-qec', `${process.execPath} ${BIN} env down`, '/dev/null'], {cwd: project, env, input: `${answer}\n`, encoding: 'utf8', timeout: 60_000})
  }
  const no = onTerminal('no')
  assert.equal(no.status, 6, no.stdout + no.stderr)
  assert.match(no.stdout, /this destroys 1 host\(s\) of flaky \(w: w-1\)/)
  assert.match(no.stdout, /nothing was changed: not confirmed/)
  assert.equal(json<{hosts: unknown[]}>(await run(['hosts', '-e', 'flaky', '-g', 'w', '--json'])).hosts.length, 1, 'the host is still there')
  const yes = onTerminal('yes')
  assert.equal(yes.status, 0, yes.stdout + yes.stderr)
  assert.match(yes.stdout, /w +sandbox +-1 destroyed/, 'the plan\'s provider name, as env up shows it')
})

test('Ctrl-C during env up: the step in progress finishes, nothing else starts, exit 6; the next env up goes on', async (t) => {
  const {spawn} = await import('node:child_process')
  const {BIN} = await import('../helpers.js')
  const child = spawn(process.execPath, [BIN, 'env', 'up', '-e', 'slow'], {cwd: project, env: {...process.env, CI: 'true', NO_COLOR: '1'}})
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => (stderr += d))
  let ended = false
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => ((ended = true), r(code))))
  // a stuck child never outlives the test (it would hold the state lock the next test and the after hook need)
  t.after(() => void (ended || child.kill('SIGKILL')))
  // creating the host and its first SSH login come before the bootstrap: on a loaded machine that takes a while, and
  // dops bounds each (sandbox start 30 s, SSH 1 min); this wait only has to outlast those
  for (let i = 0; i < 1500 && !ended && !/^start a: bootstrap slow$/m.test(stderr); i++) await new Promise((r) => setTimeout(r, 100))
  assert.match(stderr, /^start a: bootstrap slow$/m, 'the bootstrap started')
  child.kill('SIGINT')
  assert.equal(await exited, 6, stderr)
  assert.match(stderr, /stopping: the step in progress finishes, nothing new starts/)
  assert.match(stderr, /^done {2}a: bootstrap slow: 1\/1 ok/m, 'the bootstrap in progress finished')
  assert.doesNotMatch(stderr, /b: creating/)
  assert.match(stderr, /interrupted: the step in progress finished/)
  const plan = json<EnvReport>(await run(['env', 'plan', '-e', 'slow', '--json']))
  assert.deepEqual(plan.changes.map((c) => `${c.group}:${c.keep}+${c.create}~${c.pending}`), ['a:1+0~0', 'b:0+1~0'])
  const up = await run(['env', 'up', '-e', 'slow', '--json'])
  assert.equal(up.code, 0, up.stdout.slice(-2000) + up.stderr)
  assert.deepEqual(json<EnvReport>(up).changes.map((c) => `${c.group}:${c.keep}+${c.create}`), ['a:1+0', 'b:0+1'])
})

test('a local state lock held by a live process refuses env up; env unlock --yes removes it and says whose it was', async () => {
  const lock = path.join(project, '.dops/state/mixedtest-prod.json.lock')
  mkdirSync(path.dirname(lock), {recursive: true})
  writeFileSync(lock, String(process.pid))
  const refused = await run(['env', 'up'])
  assert.equal(refused.code, 22, refused.stderr)
  assert.match(refused.stderr, new RegExp(`locked by process ${process.pid}`))
  const r = json<{removed?: string}>(await run(['env', 'unlock', '--yes', '--json']))
  assert.equal(r.removed, `process ${process.pid} on this machine`)
  assert.equal(existsSync(lock), false)
})
