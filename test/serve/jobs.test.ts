/**
 * The service's job store and runner, with the real core behind the `run` kind: two environments of static hosts
 * reached with `ansible_connection=local` (real processes on this machine, through the same code as `dops run`).
 */
import assert from 'node:assert/strict'
import {appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {test} from 'node:test'
import {registerCoreKinds} from '../../src/serve/jobs/kinds.js'
import {Runner} from '../../src/serve/jobs/runner.js'
import {JsonlJobStore, serveDir} from '../../src/serve/jobs/store.js'
import type {Job, JobEvent} from '../../src/serve/types.js'

registerCoreKinds()

function project(): {dir: string; plan: string} {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dops-jobs-'))
  writeFileSync(path.join(dir, 'hosts.ini'), 'a ansible_connection=local\nb ansible_connection=local\n')
  const plan = path.join(dir, 'dops.yml')
  writeFileSync(plan, ['version: 1', 'project: jobs', 'environments:', '  one:', '    groups:', '      ctl: {provider: static, inventory: hosts.ini}', '  two:', '    groups:', '      ctl: {provider: static, inventory: hosts.ini}', ''].join('\n'))
  return {dir, plan}
}

async function open(dir: string, plan: string): Promise<{store: JsonlJobStore; runner: Runner}> {
  const store = new JsonlJobStore(dir)
  await store.open()
  return {store, runner: new Runner(store, {projectDir: dir, planFile: plan})}
}

const trigger = {type: 'api' as const, by: 'test'}

test('a run job is the core run: it succeeds, streams its output as events, and writes the same run journal as the CLI', async () => {
  const {dir, plan} = project()
  const {store, runner} = await open(dir, plan)
  const job = await runner.start({kind: 'run', env: 'one', params: {command: 'echo hello-$DOPS_HOST'}}, trigger)
  assert.equal(job.state, 'running')
  const done = await runner.wait(job.id)
  assert.equal(done.state, 'succeeded', JSON.stringify(done.error ?? done.result))
  assert.equal(done.exitCode, 0)
  const events = await store.events(job.id)
  assert.deepEqual(events.map((e) => e.seq), events.map((_, i) => i + 1))
  assert.deepEqual(events.filter((e) => e.type === 'job.state').map((e) => (e.data as {state: string}).state), ['queued', 'running', 'succeeded'])
  const lines = events.filter((e) => e.type === 'host.output').map((e) => (e.data as {line: string}).line).sort()
  assert.deepEqual(lines, ['hello-a', 'hello-b'])
  const runs = readdirSync(path.join(dir, '.dops', 'runs'))
  assert.ok(runs.some((f) => f.startsWith((done.result as {runId: string}).runId)), runs.join(','))
  await runner.close()
})

test('jobs of one environment wait in order; another environment runs at once; a failing command fails the job with its exit code', async () => {
  const {dir, plan} = project()
  const {runner} = await open(dir, plan)
  const first = await runner.start({kind: 'run', env: 'one', params: {command: 'sleep 0.5'}}, trigger)
  const second = await runner.start({kind: 'run', env: 'one', params: {command: 'exit 3'}}, trigger)
  const other = await runner.start({kind: 'run', env: 'two', params: {command: 'true'}}, trigger)
  assert.equal(second.state, 'queued')
  assert.match(second.reason ?? '', new RegExp(`behind job ${first.id}`))
  assert.equal(other.state, 'running')
  const [a, b, c] = await Promise.all([runner.wait(first.id), runner.wait(second.id), runner.wait(other.id)])
  assert.ok(b.startedAt! >= a.endedAt!, 'the second job started after the first ended')
  assert.ok(c.endedAt! <= a.endedAt! || c.startedAt! < a.endedAt!, 'the other environment did not wait')
  assert.equal(b.state, 'failed')
  assert.equal(b.exitCode, 4, 'every host failed: the CLI exit code 4')
  await runner.close()
})

test('cancel: a queued job never starts; a running rollout starts no new batch', async () => {
  const {dir, plan} = project()
  const {store, runner} = await open(dir, plan)
  const running = await runner.start({kind: 'run', env: 'one', params: {command: 'sleep 1; echo ran-$DOPS_HOST', batch: 1}}, trigger)
  const queued = await runner.start({kind: 'run', env: 'one', params: {command: 'echo never'}}, trigger)
  assert.equal((await runner.cancel(queued.id))?.state, 'cancelled')
  await new Promise((r) => setTimeout(r, 300))
  await runner.cancel(running.id)
  const r = await runner.wait(running.id)
  assert.equal(r.state, 'cancelled')
  const out = (await store.events(running.id)).filter((e) => e.type === 'host.output').map((e) => (e.data as {line: string}).line)
  assert.equal(out.length, 1, `only the first batch ran: ${out.join(',')}`)
  assert.equal((await store.events(queued.id)).filter((e) => e.type === 'job.state').map((e) => (e.data as {state: string}).state).join(','), 'queued,cancelled')
  await runner.close()
})

test('subscribe replays after a sequence number, then follows live events to the end, each once and in order', async () => {
  const {dir, plan} = project()
  const {store, runner} = await open(dir, plan)
  const job = await runner.start({kind: 'run', env: 'one', params: {command: 'for i in 1 2 3; do echo $i; sleep 0.1; done'}}, trigger)
  const seen: JobEvent[] = []
  await new Promise<void>((resolve) => void runner.subscribe(job.id, 1, (e) => seen.push(e), resolve))
  const all = await store.events(job.id)
  assert.deepEqual(seen.map((e) => e.seq), all.filter((e) => e.seq > 1).map((e) => e.seq))
  const later: JobEvent[] = []
  await new Promise<void>((resolve) => void runner.subscribe(job.id, all.length - 1, (e) => later.push(e), resolve))
  assert.deepEqual(later.map((e) => e.seq), [all.length], 'a finished job replays its tail and ends')
  await runner.close()
})

test('idempotency keys return the first job; skipped runs are recorded; unknown kinds are refused', async () => {
  const {dir, plan} = project()
  const {runner} = await open(dir, plan)
  const a = await runner.start({kind: 'run', env: 'one', params: {command: 'true'}}, trigger, {key: 'delivery-1'})
  const b = await runner.start({kind: 'run', env: 'one', params: {command: 'false'}}, trigger, {key: 'delivery-1'})
  assert.equal(b.id, a.id)
  const s = await runner.record({kind: 'run', env: 'one', params: {}}, {type: 'schedule', by: 'nightly'}, 'skipped', 'the previous run still runs')
  assert.equal(runner.get(s.id)?.state, 'skipped')
  await assert.rejects(runner.start({kind: 'nope' as never, env: 'one', params: {}}, trigger), /no job kind/)
  await runner.wait(a.id)
  await runner.close()
})

test('after a restart: jobs left running are interrupted, keys and history survive, a line cut short is skipped', async () => {
  const {dir, plan} = project()
  const {store, runner} = await open(dir, plan)
  const done = await runner.start({kind: 'run', env: 'one', params: {command: 'true'}}, trigger, {key: 'k1'})
  await runner.wait(done.id)
  const left: Job = {id: 'j-20261203-000000-abcdef', kind: 'run', env: 'one', params: {}, trigger, state: 'running', createdAt: new Date().toISOString(), startedAt: new Date().toISOString()}
  await store.put(left)
  await store.close()
  appendFileSync(path.join(serveDir(dir), 'jobs.jsonl'), '{"id":"j-20261203-000001-abcdef","state":"runn')
  const again = await open(dir, plan)
  assert.equal(again.store.get(left.id)?.state, 'interrupted')
  assert.equal(again.store.get(done.id)?.state, 'succeeded')
  assert.equal(again.store.getKey('k1'), done.id)
  assert.equal(again.store.list().length, 2)
  const ev = await again.store.events(left.id)
  assert.equal((ev.at(-1)?.data as {state: string}).state, 'interrupted')
  const third = await open(dir, plan)
  assert.equal(third.store.get(left.id)?.state, 'interrupted', 'stays interrupted')
  assert.ok(existsSync(path.join(serveDir(dir), 'keys.jsonl')))
  assert.ok(!readFileSync(path.join(serveDir(dir), 'jobs.jsonl'), 'utf8').includes('"state":"running"}\n{"id":"j-20261203-000000-abcdef","state":"running"'))
})
