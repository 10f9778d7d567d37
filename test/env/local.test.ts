/**
 * Environments on the local provider, end to end with the built CLI: the example (a load balancer in front of web
 * hosts and a database) comes up from nothing with one command and answers through the load balancer; up again
 * changes nothing; scale adds two web hosts and the upstreams follow; down leaves nothing running.
 */
import assert from 'node:assert/strict'
import {cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import {after, test} from 'node:test'
import type {EnvReport} from '../../src/env/env-job.js'
import {localEnvRoot} from '../../src/providers/local/provider.js'
import {dops, json, ROOT} from '../helpers.js'
import {cleanUpLocalEnv, removeProject} from './local-cleanup.js'

const project = mkdtempSync(path.join(os.tmpdir(), 'dops-env-'))
cpSync(path.join(ROOT, 'examples/local'), project, {recursive: true})
// its own project name, so it never meets a sandbox someone started from the example by hand
writeFileSync(path.join(project, 'dops.yml'), readFileSync(path.join(project, 'dops.yml'), 'utf8').replace('project: shop', 'project: shoptest'))
const run = (args: string[]) => dops(args, {cwd: project})
/** a web host leaving: out of the load balancer (the app's traffic.block on lb), then its app stopped */
const DRAINED = 'BeforeBlockTraffic: skipped (no scripts),BlockTraffic: ok (1 traffic host(s)),AfterBlockTraffic: skipped (no scripts),ApplicationStop: ok'
after(async () => {
  // even when a test failed half-way: nothing of this environment is left running for the next test file
  const problems = await cleanUpLocalEnv({project: 'shoptest', projectDir: project, env: 'local'})
  removeProject(project)
  if (problems.length) console.error(`cleanup: ${problems.join('; ')}`)
})

function get(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, {agent: false, timeout: 5000}, (res) => {
      let body = ''
      res.on('data', (d: Buffer) => (body += d))
      res.on('end', () => resolve(body))
    })
    req.on('timeout', () => req.destroy(new Error('timed out')))
    req.on('error', reject)
  })
}
async function servedBy(n: number): Promise<Set<string>> {
  const lb = json<{hosts: Array<{address: string}>}>(await run(['hosts', '-g', 'lb', '--json'])).hosts[0]!.address
  const seen = new Set<string>()
  for (let i = 0; i < n; i++) seen.add(/served by (web-\d+)/.exec(await get(`http://${lb}:8080/`))?.[1] ?? '?')
  return seen
}

test('env plan shows what would be created; env up brings it all up and the app answers through the load balancer', async () => {
  const plan = json<EnvReport>(await run(['env', 'plan', '--json']))
  assert.deepEqual(plan.changes.map((c) => [c.group, c.create]), [['db', 1], ['web', 2], ['lb', 1]])
  assert.deepEqual(plan.changes[0]!.ignored, ['size'], 'fields the local provider cannot honour are reported')
  const up = await run(['env', 'up', '--json'])
  assert.equal(up.code, 0, up.stdout.slice(-3000) + up.stderr)
  const r = json<EnvReport>(up)
  // each group's bootstrap: node_exporter, then the group's own script
  assert.deepEqual(r.bootstrap.map((b) => `${b.group}:${b.ok}`), ['db:1', 'db:1', 'web:2', 'web:2', 'lb:1', 'lb:1'])
  assert.equal(r.deployments[0]!.status, 'succeeded')
  assert.deepEqual(r.events.map((e) => `${e.group}.${e.event}->${e.handlerGroup}`), ['web.hostsJoined->lb'])
  assert.ok(r.phases.total > 0 && r.phases.provision > 0 && r.phases.wait > 0 && r.phases.deploy > 0)
  assert.ok(Object.values(r.phases).every((ms) => Number.isInteger(ms)), `phase durations are whole milliseconds: ${JSON.stringify(r.phases)}`)
  assert.deepEqual([...(await servedBy(8))].sort(), ['web-1', 'web-2'])
  const page = await get(`http://${json<{hosts: Array<{address: string}>}>(await run(['hosts', '-g', 'lb', '--json'])).hosts[0]!.address}:8080/`)
  assert.match(page, /database: db=127\.0\.\d+\.\d+/, 'web bootstrap got the address of the group it depends on')
  // every host is monitored by its group, and its node_exporter answers where the target says
  const targets = json<{groups: Array<{group: string; registered: boolean; targets: Array<{targets: string[]; labels: Record<string, string>}>}>}>(await run(['monitor', 'targets', '--json']))
  assert.deepEqual(targets.groups.map((g) => `${g.group}:${g.registered}:${g.targets.length}`), ['db:true:1', 'web:true:2', 'lb:true:1'])
  for (const t of targets.groups.flatMap((g) => g.targets)) assert.match(await get(`http://${t.targets[0]}/metrics`), /^node_load1 /m, `${t.labels.host}'s node_exporter`)
})

test('env up again changes nothing', async () => {
  const again = json<EnvReport>(await run(['env', 'up', '--json']))
  assert.equal(again.changed, false)
  assert.deepEqual(again.deployments.map((d) => d.status), ['up to date'])
  assert.deepEqual(again.changes.map((c) => c.create + c.destroy.length), [0, 0, 0])
  // without --json, in CI: a plain line as each step starts and ends, then the summary
  const plain = await run(['env', 'up'])
  assert.equal(plain.code, 0)
  assert.match(plain.stderr, /^start deploying web$/m)
  assert.match(plain.stderr, /^done {2}deploying web: up to date \(\d+(ms|\.\d+s)\)$/m)
  assert.doesNotMatch(plain.stderr, /^start .*(creating|bootstrap)/m)
  assert.match(plain.stderr, /nothing to do in /)
  const status = json<{groups: Array<{group: string; hosts: Array<{state: string; health: Record<string, {healthy: boolean} | undefined>}>; apps: Array<{revision?: string; differing: string[]}>}>}>(await run(['env', 'status', '--json']))
  const web = status.groups.find((g) => g.group === 'web')!
  assert.deepEqual(web.hosts.map((h) => h.state), ['running', 'running'])
  assert.ok(web.apps[0]!.revision, 'the app revision each runs')
  assert.deepEqual(web.apps[0]!.differing, [])
  assert.deepEqual(web.hosts.map((h) => h.health.web?.healthy), [true, true], 'the app\'s health check passes on both')
  // the app stops on one host: status says which, and why
  const stopped = await run(['run', '-g', 'web', '-H', 'web-1', '--', 'kill $(cat /tmp/app.pid)'])
  assert.equal(stopped.code, 0, stopped.stderr)
  const after = json<{groups: Array<{group: string; hosts: Array<{name: string; health: Record<string, {healthy: boolean; reason?: string}>}>}>}>(await run(['env', 'status', '--json']))
  const hosts = after.groups.find((g) => g.group === 'web')!.hosts
  assert.equal(hosts.find((h) => h.name === 'web-1')!.health.web!.healthy, false)
  assert.match(hosts.find((h) => h.name === 'web-1')!.health.web!.reason!, /no HTTP response from http:\/\/127\.0\.\d+\.\d+:8000\//)
  assert.equal(hosts.find((h) => h.name === 'web-2')!.health.web!.healthy, true)
  // deploying the same revision to that host again restarts it (ApplicationStop, ..., ApplicationStart)
  const redeploy = await run(['deploy', '-H', 'web-1', '--json'])
  assert.equal(redeploy.code, 0, redeploy.stdout.slice(-2000))
})

test('a lost state file is recovered from the sandboxes\' own records: nothing is created twice', async () => {
  const file = path.join(project, '.dops/state/shoptest-local.json')
  const before = readFileSync(file, 'utf8')
  rmSync(file)
  const plan = json<EnvReport>(await run(['env', 'plan', '--json']))
  assert.deepEqual(plan.changes.map((c) => `${c.group}:${c.keep}+${c.create}`), ['db:1+0', 'web:2+0', 'lb:1+0'])
  const up = json<EnvReport>(await run(['env', 'up', '--json']))
  assert.equal(up.changed, false)
  const names = (t: string) => (JSON.parse(t) as {groups: Record<string, {instances: Array<{name: string; address: string}>}>}).groups
  assert.deepEqual(Object.fromEntries(Object.entries(names(readFileSync(file, 'utf8'))).map(([g, v]) => [g, v.instances.map((i) => i.address)])), Object.fromEntries(Object.entries(names(before)).map(([g, v]) => [g, v.instances.map((i) => i.address)])))
})

test('scale web=4 adds two bootstrapped hosts with the app, and the load balancer sends them traffic; scale down drains', async () => {
  const up = await run(['scale', 'web=4', '--json'])
  assert.equal(up.code, 0, up.stdout.slice(-2000))
  assert.deepEqual([...(await servedBy(16))].sort(), ['web-1', 'web-2', 'web-3', 'web-4'])
  const plan = json<EnvReport>(await run(['env', 'plan', '--json']))
  assert.equal(plan.changes.find((c) => c.group === 'web')!.keep, 4, 'the scaled count is remembered')
  const down = await run(['scale', 'web=1', '--yes', '--json'])
  assert.equal(down.code, 0)
  const dr = json<EnvReport>(down)
  assert.deepEqual(dr.events.map((e) => e.event), ['hostsLeft'])
  // the leaving hosts' app was stopped (ApplicationStop of the revision they ran) before they were destroyed
  assert.deepEqual(dr.drains.map((d) => `${d.app}@${d.host}:${d.status}:${d.events.join(',')}`).sort(), ['web-2', 'web-3', 'web-4'].map((h) => `web@${h}:ok:${DRAINED}`))
  assert.deepEqual([...(await servedBy(6))], ['web-1'])
})

test('a host that dies outside dops: env reconcile drops it and the load balancer follows; env up replaces it', async () => {
  assert.equal((await run(['scale', 'web=2'])).code, 0)
  const state = JSON.parse(readFileSync(path.join(project, '.dops/state/shoptest-local.json'), 'utf8')) as {groups: Record<string, {instances: Array<{name: string; data: {pid: number}}>}>}
  const [victim, survivor] = state.groups.web!.instances
  process.kill(victim!.data.pid, 'SIGKILL')
  await new Promise((r) => setTimeout(r, 300))
  const rec = json<EnvReport>(await run(['env', 'reconcile', '--json']))
  const web = rec.changes.find((c) => c.group === 'web')!
  assert.deepEqual([web.destroy, web.gone], [[], [victim!.name]], 'a vanished host is forgotten, not destroyed')
  assert.deepEqual(rec.events.map((e) => `${e.group}.${e.event}`), ['web.hostsLeft'])
  assert.ok(rec.changes.every((c) => c.create === 0), 'reconcile creates nothing')
  assert.deepEqual([...(await servedBy(6))], [survivor!.name])
  const up = json<EnvReport>(await run(['env', 'up', '--json']))
  assert.equal(up.changes.find((c) => c.group === 'web')!.create, 1)
  assert.equal((await servedBy(10)).size, 2, 'back to two web hosts behind the load balancer')
})

test('a destructive up needs --yes; env down needs --yes and leaves nothing running', async () => {
  const refused = await run(['env', 'down'])
  assert.equal(refused.code, 2)
  assert.match(refused.stderr, /run again with --yes/)
  const down = await run(['env', 'down', '--yes', '--json'])
  assert.equal(down.code, 0)
  assert.deepEqual(json<EnvReport>(down).drains.map((d) => `${d.group}:${d.status}:${d.events.join(',')}`), [`web:ok:${DRAINED}`, `web:ok:${DRAINED}`], 'the app was taken out of the load balancer and stopped before its hosts went')
  const state = JSON.parse(readFileSync(path.join(project, '.dops/state/shoptest-local.json'), 'utf8')) as {groups: object}
  assert.deepEqual(state.groups, {})
  assert.equal(existsSync(localEnvRoot('shoptest', 'local', project)), false)
  const {execFileSync} = await import('node:child_process')
  // this checkout's sandboxes only: other checkouts (parallel runs) have their own directory
  const root = localEnvRoot('shoptest', 'local', project)
  const left = execFileSync('ps', ['-eo', 'args']).toString().split('\n').filter((l) => l.includes(root)).length.toString()
  assert.equal(left, '0')
})

test('bad plans fail before anything is created: unknown provider, a dependency cycle', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dops-env-bad-'))
  writeFileSync(path.join(dir, 'dops.yml'), 'version: 1\nproject: bad\nenvironments:\n  e:\n    groups:\n      a: {provider: sandbox, instance: {count: 1}, dependsOn: [b]}\n      b: {provider: local, instance: {count: 1}, dependsOn: [a]}\n')
  const r = await dops(['env', 'up'], {cwd: dir})
  assert.equal(r.code, 2)
  assert.match(r.stderr, /unknown provider `sandbox`/)
  assert.match(r.stderr, /dependency cycle: a -> b -> a/)
  assert.equal(existsSync(path.join(dir, '.dops/state')), false)
})
