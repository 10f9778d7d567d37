/**
 * Disaster recovery on the local provider, end to end with the built CLI: the local example's environment runs a
 * newly deployed revision on 3 web hosts (scaled: its plan says 2); the working tree then changes; `env restore`
 * builds a second environment that serves the source's revision (not the working tree's) on as many hosts as the
 * source runs, with its restore hook run after the db group's bootstrap; later commands (env down) know the restored
 * groups. A drill builds, verifies and tears down, leaving no state, sandbox, monitoring target or record.
 */
import assert from 'node:assert/strict'
import {cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import {after, test} from 'node:test'
import type {RestoreReport} from '../../src/env/restore.js'
import {localEnvRoot} from '../../src/providers/local/provider.js'
import {dops, json, ROOT} from '../helpers.js'
import {cleanUpLocalEnv, removeProject} from './local-cleanup.js'

const PROJECT = 'rstlocal'
mkdirSync('/var/tmp/dops-restore-tests', {recursive: true})
const project = mkdtempSync('/var/tmp/dops-restore-tests/local-')
cpSync(path.join(ROOT, 'examples/local'), project, {recursive: true})
const plan = readFileSync(path.join(project, 'dops.yml'), 'utf8').replace('project: shop', `project: ${PROJECT}`)
// the second environment: the first's groups, a restore hook after db's bootstrap (where data would be restored)
const HOOK = `mkdir -p /var/lib/dops/restored && echo "from=$DOPS_RESTORED_FROM db=$DOPS_DB_HOSTS" >> /var/lib/dops/restored/marker`
const writePlan = (hook: string) =>
  writeFileSync(
    path.join(project, 'dops.yml'),
    `${plan}  copy:
    restoreFrom: local
    restore:
      hooks:
        - {name: load data, after: db, run: ${JSON.stringify(hook)}}
`,
  )
writePlan(HOOK)
const run = (args: string[]) => dops(args, {cwd: project, timeoutMs: 180_000})
const site = path.join(project, 'app/site/index.html')
const original = readFileSync(site, 'utf8')

after(async () => {
  const problems = []
  for (const env of ['copy', 'drill-copy', 'local']) problems.push(...(await cleanUpLocalEnv({project: PROJECT, projectDir: project, env})).filter((p) => env !== 'drill-copy' || !/env down/.test(p)))
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
const lbOf = async (env: string) => json<{hosts: Array<{address: string}>}>(await run(['hosts', '-e', env, '-g', 'lb', '--json'])).hosts[0]!.address

test('the source runs a newly deployed revision on 3 web hosts', async () => {
  const up = await run(['env', 'up', '-e', 'local', '--json'])
  assert.equal(up.code, 0, up.stdout.slice(-2000) + up.stderr)
  const scaled = await run(['scale', '-e', 'local', 'web=3', '--json'])
  assert.equal(scaled.code, 0, scaled.stdout.slice(-2000))
  writeFileSync(site, `${original}<p>revision B</p>\n`)
  const deployed = await run(['deploy', '-e', 'local', '--json'])
  assert.equal(deployed.code, 0, deployed.stdout.slice(-2000))
  assert.match(await get(`http://${await lbOf('local')}:8080/`), /revision B/)
  // the working tree moves on: a restore must not deploy it
  writeFileSync(site, `${original}<p>revision C</p>\n`)
})

test('a restore hook that fails stops the restore after db and leaves db-1 not ready', async () => {
  writePlan('echo no dump here >&2; exit 7')
  const res = await run(['env', 'restore', 'copy', '--json'])
  assert.equal(res.code, 3, res.stdout.slice(-3000) + res.stderr.slice(-2000))
  const r = json<RestoreReport>(res)
  assert.deepEqual(r.hooks.map((h) => `${h.name}:${h.group}:${h.ok}/${h.failed}`), ['load data:db:0/1'])
  assert.match(r.hooks[0]!.hosts[0]!.stderr, /no dump here/)
  assert.equal(r.phases.recovery, undefined)
  const state = JSON.parse(readFileSync(path.join(project, `.dops/state/${PROJECT}-copy.json`), 'utf8')) as {groups: Record<string, {instances: Array<{ready?: boolean}>}>}
  assert.deepEqual(Object.fromEntries(Object.entries(state.groups).map(([g, v]) => [g, v.instances.map((i) => i.ready ?? true)])), {db: [false]}, 'db was made, not ready; nothing after it')
  writePlan(HOOK)
})

test('env restore builds copy from local: its counts, its revision (not the working tree\'s), the hook after db', async () => {
  const res = await run(['env', 'restore', 'copy', '--json'])
  assert.equal(res.code, 0, res.stdout.slice(-3000) + res.stderr.slice(-2000))
  const r = json<RestoreReport>(res)
  assert.deepEqual(r.counts, {db: 1, web: 3, lb: 1})
  assert.deepEqual(r.countsFrom, {db: 'state', web: 'state', lb: 'state'})
  assert.ok(r.phases.recovery !== undefined && r.phases.recovery <= r.phases.total)
  for (const k of ['check', 'provision', 'bootstrap', 'deploy', 'verify'] as const) assert.ok(Number.isInteger(r.phases[k]), `${k}: ${r.phases[k]}`)
  // the oracle: what the hosts serve, through copy's own load balancer and on each web host's disk
  const seen = new Set<string>()
  for (let i = 0; i < 9; i++) {
    const page = await get(`http://${await lbOf('copy')}:8080/`)
    assert.match(page, /revision B/)
    assert.doesNotMatch(page, /revision C/)
    seen.add(/served by (web-\d+)/.exec(page)?.[1] ?? '?')
  }
  assert.deepEqual([...seen].sort(), ['web-1', 'web-2', 'web-3'])
  const files = await run(['run', '-e', 'copy', '-g', 'web', '--json', '--', 'cat /var/www/app/index.html'])
  const outs = json<{results: Array<{stdout: string}>}>(files).results.map((x) => x.stdout)
  assert.equal(outs.length, 3)
  for (const o of outs) assert.match(o, /revision B/)
  // the revision deployed is the source's last one, as its deployment record says
  const records = readdirSync(path.join(project, '.dops/deployments')).map((f) => JSON.parse(readFileSync(path.join(project, '.dops/deployments', f), 'utf8')) as {env: string; status: string; startedAt: string; revision: {id: string}})
  const lastLocal = records.filter((d) => d.env === 'local' && d.status === 'succeeded').sort((a, b) => (a.startedAt < b.startedAt ? -1 : 1)).at(-1)!
  assert.equal(r.revisions[0]!.id, lastLocal.revision.id)
  const marker = await run(['run', '-e', 'copy', '-g', 'db', '--json', '--', 'cat /var/lib/dops/restored/marker'])
  assert.match(json<{results: Array<{stdout: string}>}>(marker).results[0]!.stdout, /^from=local db=127\.0\.\d+\.\d+\n$/, 'the hook ran once, on the new db host')
  assert.deepEqual(r.hooks.map((h) => `${h.name}:${h.group}:${h.ok}/${h.failed}`), ['load data:db:1/0'])
  const state = JSON.parse(readFileSync(path.join(project, `.dops/state/${PROJECT}-copy.json`), 'utf8')) as {restoredFrom?: {env: string; revisions: Record<string, string>}}
  assert.deepEqual(state.restoredFrom?.revisions, {web: lastLocal.revision.id})
  // again: nothing to build, the same revision stays
  const again = json<RestoreReport>(await run(['env', 'restore', 'copy', '--json']))
  assert.equal(again.exitCode, 0)
  assert.equal(again.up!.changed, false)
})

/** What dops keeps about the source (and the restored copy): a drill must change none of it. */
function kept(): Record<string, string> {
  const dops = path.join(project, '.dops')
  const files = [...['local', 'copy'].map((e) => `state/${PROJECT}-${e}.json`), ...['deployments', 'monitoring'].flatMap((d) => readdirSync(path.join(dops, d)).map((f) => `${d}/${f}`))]
  return Object.fromEntries(files.filter((f) => existsSync(path.join(dops, f))).map((f) => [f, readFileSync(path.join(dops, f), 'utf8')]))
}

test('a drill builds drill-copy, verifies it and leaves nothing behind', async () => {
  const before = kept()
  assert.ok(Object.keys(before).some((f) => f.startsWith('monitoring/')) && before[`state/${PROJECT}-local.json`], Object.keys(before).join(', '))
  const res = await run(['env', 'restore', 'copy', '--drill', '--json'])
  assert.equal(res.code, 0, res.stdout.slice(-3000) + res.stderr.slice(-2000))
  const r = json<RestoreReport>(res)
  assert.equal(r.env, 'drill-copy')
  assert.deepEqual(r.verify!.problems, [])
  assert.equal(r.verify!.apps.web, 3)
  assert.ok(r.phases.teardown > 0 && r.phases.recovery !== undefined)
  assert.deepEqual(r.teardown!.left, [])
  assert.ok(!existsSync(path.join(project, `.dops/state/${PROJECT}-drill-copy.json`)), 'no state')
  assert.ok(!existsSync(localEnvRoot(PROJECT, 'drill-copy', project)), 'no sandbox')
  assert.deepEqual(readdirSync(path.join(project, '.dops/monitoring')).filter((f) => f.includes('drill')), [], 'no monitoring target file')
  const records = readdirSync(path.join(project, '.dops/deployments')).filter((f) => readFileSync(path.join(project, '.dops/deployments', f), 'utf8').includes('"env": "drill-copy"'))
  assert.deepEqual(records, [], 'no deployment record of the drill')
  // the source and the restored environment are untouched by the drill: states, deployment records, monitoring
  // target files, and what their load balancers serve
  assert.deepEqual(kept(), before)
  assert.match(await get(`http://${await lbOf('copy')}:8080/`), /revision B/)
  assert.match(await get(`http://${await lbOf('local')}:8080/`), /revision B/)
})

test('later commands know the restored groups: env down -e copy removes its 5 hosts', async () => {
  const down = await run(['env', 'down', '-e', 'copy', '--yes', '--json'])
  assert.equal(down.code, 0, down.stdout.slice(-2000))
  const r = json<{changes: Array<{group: string; destroy: string[]}>}>(down)
  assert.deepEqual(Object.fromEntries(r.changes.map((c) => [c.group, c.destroy.length])), {lb: 1, web: 3, db: 1})
  assert.ok(!existsSync(localEnvRoot(PROJECT, 'copy', project)))
})
