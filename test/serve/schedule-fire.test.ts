/**
 * The scheduler on the real job runner and the real `dops run` core (hosts reached with ansible_connection=local):
 * an every-second schedule fires and its runs write run journals; a slow run with `forbid` makes the next slots
 * skipped; a restart never fires a slot twice; a catch-up window runs the last missed slot once.
 */
import assert from 'node:assert/strict'
import {existsSync, readdirSync} from 'node:fs'
import path from 'node:path'
import {test} from 'node:test'
import {LocalScheduleState} from '../../src/serve/lease-local.js'
import {cronOf} from '../../src/serve/schedules/cron.js'
import {fireSlot} from '../../src/serve/schedules/fire.js'
import {schedulesOf} from '../../src/serve/schedules/spec.js'
import {loadPlan} from '../../src/plan/load.js'
import {firedSlots, project, startServer, until} from './schedule-helpers.js'

const scheduled = (s: Awaited<ReturnType<typeof startServer>>, name: string) => s.ctx.runner.list({limit: 1000}).filter((j) => j.trigger.type === 'schedule' && j.trigger.by === name)

test('an every-second schedule fires on its slots, runs the command through the core, and writes run journals', async () => {
  const {dir, plan} = project('  tick:\n    cron: "*/1 * * * * *"\n    run: {command: "echo tick-$DOPS_HOST"}\n')
  const s = await startServer(dir, plan)
  try {
    assert.ok(s.leader.isLeader(), 'the only server leads')
    await until(() => scheduled(s, 'tick').filter((j) => j.state === 'succeeded').length >= 2, 20_000, 'two succeeded runs')
  } finally {
    await s.stop()
  }
  const jobs = scheduled(s, 'tick')
  const done = jobs.filter((j) => j.state === 'succeeded')
  for (const j of done) {
    assert.equal(j.kind, 'run')
    assert.deepEqual(j.params, {command: 'echo tick-$DOPS_HOST'})
    const runId = (j.result as {runId: string}).runId
    assert.ok(readdirSync(path.join(dir, '.dops', 'runs')).some((f) => f.startsWith(runId)), `run journal of ${runId}`)
    const out = (j.result as {results: Array<{stdout: string}>}).results[0]!.stdout.trim()
    assert.equal(out, 'tick-here')
  }
  const slots = firedSlots(s.logs, 'tick')
  assert.equal(new Set(slots).size, slots.length, 'each slot once')
  const cron = cronOf('*/1 * * * * *')
  for (const slot of slots) assert.ok(cron.match(new Date(slot)) && new Date(slot).getMilliseconds() === 0, `${slot} is a slot of the expression`)
  const doc = await new LocalScheduleState(dir).read()
  assert.equal(doc.schedules.tick!.slot, slots.at(-1), 'the last fired slot is persisted')
  assert.ok(jobs.some((j) => j.id === doc.schedules.tick!.last!.jobId), 'the last run is one of its jobs')
})

test('forbid: slots that come while the previous run still runs are recorded skipped, naming it', async () => {
  const {dir, plan} = project('  slow:\n    cron: "*/1 * * * * *"\n    run: {command: "sleep 3"}\n')
  const s = await startServer(dir, plan)
  try {
    await until(() => scheduled(s, 'slow').filter((j) => j.state === 'skipped').length >= 2, 20_000, 'two skipped slots')
  } finally {
    await s.stop()
  }
  const jobs = scheduled(s, 'slow')
  const ran = jobs.filter((j) => j.state !== 'skipped')
  for (const j of jobs.filter((x) => x.state === 'skipped')) {
    const m = /^the previous run (\S+) still runs$/.exec(j.reason ?? '')
    assert.ok(m, j.reason)
    assert.ok(ran.some((r) => r.id === m[1]), `${m[1]} is a run of the schedule`)
  }
  // runs never overlapped: every run started after the one before ended
  const ordered = ran.filter((j) => j.startedAt).sort((a, b) => a.startedAt!.localeCompare(b.startedAt!))
  for (let i = 1; i < ordered.length; i++) assert.ok(ordered[i - 1]!.endedAt && ordered[i - 1]!.endedAt! <= ordered[i]!.startedAt!, 'no overlap')
  const doc = await new LocalScheduleState(dir).read()
  assert.match(doc.schedules.slow!.skipped!.reason, /still runs/)
})

test('a restart never fires a slot already fired; catchUp runs the last missed slot once, only once across restarts', async () => {
  const {dir, plan} = project('  daily:\n    cron: "0 0 * * *"\n    catchUp: 48h\n    run: {command: "true"}\n  never:\n    cron: "0 0 * * *"\n    run: {command: "true"}\n')
  const first = await startServer(dir, plan)
  await until(() => scheduled(first, 'daily').length === 1, 10_000, 'the caught-up run')
  const job = scheduled(first, 'daily')[0]!
  const expected = cronOf('0 0 * * *').previousRuns(1, new Date())[0]!.toISOString()
  await first.ctx.runner.wait(job.id)
  await first.stop()
  assert.deepEqual(firedSlots(first.logs, 'daily'), [expected], 'the most recent missed slot')
  assert.equal(scheduled(first, 'never').length, 0, 'without catchUp nothing missed is run')
  const doc = await new LocalScheduleState(dir).read()
  assert.equal(doc.schedules.daily!.slot, expected)
  assert.equal(doc.schedules.daily!.last!.state, 'succeeded')

  const second = await startServer(dir, plan)
  try {
    await new Promise((r) => setTimeout(r, 1500))
    assert.equal(scheduled(second, 'daily').filter((j) => j.id !== job.id).length, 0, 'not caught up again after the restart')
    // the same slot fired by hand on the new server: refused, it is persisted as fired
    const {loaded} = await loadPlan(plan)
    const entry = schedulesOf(loaded.plan).find((e) => e.name === 'daily')!
    const r = await fireSlot({runner: second.ctx.runner, shared: new LocalScheduleState(dir), log: second.ctx.log}, entry, new Date(expected))
    assert.deepEqual(r, {fired: false, why: `slot ${expected} was fired already`})
    const older = new Date(Date.parse(expected) - 86_400_000)
    assert.equal((await fireSlot({runner: second.ctx.runner, shared: new LocalScheduleState(dir), log: second.ctx.log}, entry, older)).fired, false, 'an older slot neither')
  } finally {
    await second.stop()
  }
  assert.ok(!existsSync(path.join(dir, '.dops', 'serve', 'serve.lease')), 'the lease is released on a clean stop')
})

test('allow: overlapping slots all start (queued behind the running one); replace: the running one is cancelled for the new one', async () => {
  const allow = project('  slow:\n    cron: "*/1 * * * * *"\n    overlap: allow\n    run: {command: "sleep 1.5"}\n')
  const replace = project('  slow:\n    cron: "*/1 * * * * *"\n    overlap: replace\n    run: {command: "sleep 1.5"}\n')
  const a = await startServer(allow.dir, allow.plan)
  const r = await startServer(replace.dir, replace.plan)
  let replaced: ReturnType<typeof scheduled> = []
  let allowed: ReturnType<typeof scheduled> = []
  try {
    await until(() => scheduled(a, 'slow').length >= 4 && scheduled(r, 'slow').filter((j) => j.state === 'cancelled').length >= 2, 20_000, 'four slots allowed, two runs replaced')
    // before the stop, which cancels what is left
    replaced = scheduled(r, 'slow')
    allowed = scheduled(a, 'slow')
  } finally {
    await a.stop()
    await r.stop()
  }
  assert.ok(allowed.every((j) => ['queued', 'running', 'succeeded'].includes(j.state)), `allow neither skips nor cancels: ${allowed.map((j) => j.state)}`)
  assert.ok(allowed.some((j) => j.state === 'queued' && j.reason?.startsWith('queued behind')), 'overlapping runs wait in line')
  assert.ok(allowed.some((j) => j.state === 'succeeded'), 'and run')
  assert.ok(replaced.every((j) => j.state !== 'skipped'), 'replace never skips')
  // each cancelled run was followed by a newer run of the schedule
  const byTime = [...replaced].sort((x, y) => x.createdAt.localeCompare(y.createdAt))
  for (const j of byTime.filter((x) => x.state === 'cancelled')) assert.ok(byTime.indexOf(j) < byTime.length - 1, `${j.id} replaced by a newer run`)
  assert.ok(replaced.filter((j) => j.state === 'cancelled').every((j) => /cancelled (while running|before it started)/.test(j.reason ?? '')), replaced.map((j) => `${j.state} ${j.reason}`).join('\n'))
})
