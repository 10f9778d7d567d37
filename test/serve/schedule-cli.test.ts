/**
 * `dops schedule list` (next runs against croner's own nextRuns, the oracle; last runs from the shared document) and
 * `dops schedule run NAME` (the core `dops run` / `dops deploy` use, recorded as the last run); the routes
 * `GET /schedules` and `POST /schedules/{name}/run` on the real runner.
 */
import assert from 'node:assert/strict'
import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {test} from 'node:test'
import {Cron} from 'croner'
import {dops} from '../helpers.js'
import type {Job} from '../../src/serve/types.js'
import {appFor, auth, OPERATE, READ} from './api-helpers.js'
import {project} from './schedule-helpers.js'

const SCHEDULES = [
  '  nightly:\n    description: rotate the logs\n    cron: "30 2 * * *"\n    timezone: America/New_York\n    run: {command: "echo rotated > $DOPS_MARKER_DIR/marker", timeout: 30}\n',
  '  weekly:\n    cron: "@weekly"\n    timezone: Europe/Paris\n    overlap: replace\n    run: {command: "echo weekly", group: ctl}\n',
  '  quarter:\n    cron: "*/15 9-17 * * MON-FRI"\n    overlap: allow\n    catchUp: 10m\n    run: {command: "true"}\n',
  '  off:\n    cron: "0 0 1 1 *"\n    enabled: false\n    run: {command: "true"}\n',
].join('')

interface Listed {
  schedules: Array<{name: string; cron: string; timezone: string; env: string; what: string; overlap: string; enabled: boolean; next: string[]; last?: {jobId: string; state: string; by: string}}>
}

const oracle = (expr: string, tz: string | undefined, from: Date) => new Cron(expr, {timezone: tz ?? 'UTC', paused: true}).nextRuns(3, from).map((d) => d.toISOString())

test('dops schedule list --json: next runs are croner\'s own; table without --json', async () => {
  const {dir} = project(SCHEDULES)
  const before = new Date()
  const r = await dops(['schedule', 'list', '--json'], {cwd: dir})
  const afterward = new Date()
  assert.equal(r.code, 0, r.stderr)
  const listed = JSON.parse(r.stdout) as Listed
  assert.deepEqual(listed.schedules.map((s) => s.name), ['nightly', 'weekly', 'quarter', 'off'])
  const specs: Record<string, [string, string | undefined]> = {nightly: ['30 2 * * *', 'America/New_York'], weekly: ['@weekly', 'Europe/Paris'], quarter: ['*/15 9-17 * * MON-FRI', undefined]}
  for (const [name, [expr, tz]] of Object.entries(specs)) {
    const s = listed.schedules.find((x) => x.name === name)!
    const want = [oracle(expr, tz, before), oracle(expr, tz, afterward)]
    assert.ok(want.some((w) => JSON.stringify(w) === JSON.stringify(s.next)), `${name}: ${s.next} vs croner ${want[0]}`)
    assert.equal(s.timezone, tz ?? 'UTC')
    assert.equal(s.env, 'ops')
    assert.equal(s.next.length, 3)
  }
  const off = listed.schedules.find((x) => x.name === 'off')!
  assert.deepEqual([off.enabled, off.next], [false, []])
  assert.equal(listed.schedules[0]!.what, 'run: echo rotated > $DOPS_MARKER_DIR/marker')
  assert.deepEqual(listed.schedules.map((s) => s.overlap), ['forbid', 'replace', 'allow', 'forbid'])
  // a secret of the plan is never shown
  const {dir: sd} = project('  secret:\n    cron: "@daily"\n    run: {command: "curl -H \'token: ${env:SCHED_TEST_TOKEN}\' localhost"}\n')
  const token = 'tok-8c1f2d3e4b5a'
  for (const args of [['schedule', 'list', '--json'], ['schedule', 'list']]) {
    const x = await dops(args, {cwd: sd, env: {SCHED_TEST_TOKEN: token}})
    assert.equal(x.code, 0, x.stderr)
    assert.ok(!(x.stdout + x.stderr).includes(token), x.stdout)
    assert.match(x.stdout, /token: \*\*\*/)
  }
  const t = await dops(['schedule', 'list'], {cwd: dir})
  assert.equal(t.code, 0)
  assert.match(t.stdout, /NAME\s+CRON\s+TIMEZONE/)
  assert.match(t.stdout, /off .*disabled/)
})

test('dops schedule run NAME runs it now through the run core, and list shows it as the last run', async () => {
  const {dir} = project(SCHEDULES)
  const r = await dops(['schedule', 'run', 'nightly', '--json'], {cwd: dir, env: {DOPS_MARKER_DIR: dir}})
  assert.equal(r.code, 0, r.stdout + r.stderr)
  const journal = JSON.parse(r.stdout) as {runId: string; exitCode: number; results: Array<{host: string; status: string}>}
  assert.deepEqual(journal.results.map((x) => [x.host, x.status]), [['here', 'ok']])
  assert.equal(readFileSync(path.join(dir, 'marker'), 'utf8'), 'rotated\n')
  assert.ok(existsSync(path.join(dir, '.dops', 'runs')), 'the run journal, as dops run writes it')
  const listed = JSON.parse((await dops(['schedule', 'list', '--json'], {cwd: dir})).stdout) as Listed
  const last = listed.schedules.find((s) => s.name === 'nightly')!.last!
  assert.deepEqual([last.jobId, last.state, last.by], [journal.runId, 'succeeded', 'cli'])
  // a failing run: its exit code, recorded failed
  const {dir: d2} = project('  broken:\n    cron: "@daily"\n    run: {command: "exit 7"}\n')
  const f = await dops(['schedule', 'run', 'broken'], {cwd: d2})
  assert.notEqual(f.code, 0)
  const l2 = JSON.parse((await dops(['schedule', 'list', '--json'], {cwd: d2})).stdout) as Listed
  assert.equal(l2.schedules[0]!.last!.state, 'failed')
  // a script of the project with its arguments, uploaded and run as `dops run --script` does
  const {dir: d3} = project('  scripted:\n    cron: "@daily"\n    run: {script: jobs/hello.sh, args: ["a b", "$HOME"]}\n')
  mkdirSync(path.join(d3, 'jobs'))
  writeFileSync(path.join(d3, 'jobs', 'hello.sh'), '#!/bin/sh\nprintf "[%s]" "$@"\n')
  const sc = await dops(['schedule', 'run', 'scripted', '--json'], {cwd: d3})
  assert.equal(sc.code, 0, sc.stdout + sc.stderr)
  assert.equal((JSON.parse(sc.stdout) as {results: Array<{stdout: string}>}).results[0]!.stdout, '[a b][$HOME]', 'arguments quoted, never expanded')
  // unknown schedule: exit 2, a suggestion, nothing run
  const u = await dops(['schedule', 'run', 'nightyl'], {cwd: dir})
  assert.equal(u.code, 2)
  assert.match(u.stderr, /no schedule `nightyl`.*did you mean `nightly`\?/)
  assert.doesNotMatch(u.stderr, /\n\s+at /)
})

test('GET /schedules and POST /schedules/{name}/run in the dops serve application, on the real runner', async () => {
  const {dir, plan} = project(SCHEDULES)
  const {app, runner, close} = await appFor(dir, plan)
  try {
    const post = await app.inject({method: 'POST', url: '/schedules/weekly/run', headers: auth(OPERATE)})
    assert.equal(post.statusCode, 202, post.body)
    const job = (post.json() as {job: Job}).job
    assert.deepEqual([job.kind, job.env, job.trigger], ['run', 'ops', {type: 'schedule', by: 'weekly'}])
    assert.deepEqual(job.params, {command: 'echo weekly', group: 'ctl'})
    const done = await runner.wait(job.id)
    assert.equal(done.state, 'succeeded', JSON.stringify(done.error))
    const get = await app.inject({method: 'GET', url: '/schedules', headers: auth(READ)})
    assert.equal(get.statusCode, 200, get.body)
    const lease = (get.json() as {lease: {self: boolean; owner: string; expiresAt: string}}).lease
    assert.deepEqual([lease.self, lease.owner], [true, `${os.hostname()}:${process.pid}`])
    assert.ok(Date.parse(lease.expiresAt) > Date.now())
    const weekly = (get.json() as Listed).schedules.find((s) => s.name === 'weekly')!
    assert.equal(weekly.last?.jobId, job.id)
    assert.equal(weekly.next.length, 3)
    assert.equal((await app.inject({method: 'POST', url: '/schedules/weekly/run', headers: auth(READ)})).statusCode, 403, 'a read token starts nothing')
    assert.equal((await app.inject({method: 'GET', url: '/schedules'})).statusCode, 401)
    const missing = await app.inject({method: 'POST', url: '/schedules/nope/run', headers: auth(OPERATE)})
    assert.equal(missing.statusCode, 404)
    assert.equal((missing.json() as {error: {code: string}}).error.code, 'NO_SUCH_SCHEDULE')
    const bad = await app.inject({method: 'POST', url: '/schedules/-x/run', headers: auth(OPERATE)})
    assert.equal(bad.statusCode, 400, bad.body)
    assert.ok((bad.json() as {error: {message: string}}).error.message)
    const long = await app.inject({method: 'POST', url: `/schedules/${'x'.repeat(300)}/run`, headers: auth(OPERATE)})
    assert.ok(long.statusCode >= 400 && long.statusCode < 500, `${long.statusCode}`)
    assert.equal(runner.list().length, 1, 'nothing else started')
  } finally {
    await close()
  }
})
