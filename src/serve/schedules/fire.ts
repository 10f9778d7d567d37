/**
 * One slot of one schedule: claimed in the shared schedule document (a slot at or before the last one fired, by any
 * server, is never fired again), then started through the job runner with the overlap policy applied, the last run
 * recorded beside it.
 */
import type {SharedScheduleState, ScheduleRecord, SchedulesDoc} from '../lease-common.js'
import type {Job, JobRunner, JobTrigger, JobState} from '../types.js'
import type {ScheduleEntry} from './spec.js'

const ACTIVE: JobState[] = ['queued', 'running']
/** how long a slot's idempotency key is kept in the store */
const KEY_TTL_MS = 7 * 24 * 3600_000

export interface FireDeps {
  runner: JobRunner
  shared: SharedScheduleState
  log: (line: string) => void
}

export type FireOutcome = {fired: 'started' | 'skipped'; job: Job} | {fired: false; why: string}

const withRecord = (doc: SchedulesDoc, name: string, change: (r: ScheduleRecord) => ScheduleRecord): SchedulesDoc => ({
  ...doc,
  schedules: {...doc.schedules, [name]: change(doc.schedules[name] ?? {})},
})

/** Jobs of this schedule still queued or running in this server's store. */
export function activeRuns(runner: JobRunner, name: string, env: string): Job[] {
  return runner.list({env, limit: 1000}).filter((j) => j.trigger.type === 'schedule' && j.trigger.by === name && ACTIVE.includes(j.state))
}

/** Claim a slot: true when this call moved the schedule's last fired slot to it. */
export async function claimSlot(shared: SharedScheduleState, name: string, slotIso: string): Promise<boolean> {
  let claimed = false
  await shared.update((doc) => {
    const prev = doc.schedules[name]?.slot
    claimed = !prev || Date.parse(prev) < Date.parse(slotIso)
    return claimed ? withRecord(doc, name, (r) => ({...r, slot: slotIso})) : undefined
  })
  return claimed
}

/** Record a run as the schedule's last (and its final state when it ends, if no later run replaced it). */
export async function recordLast(shared: SharedScheduleState, name: string, last: NonNullable<ScheduleRecord['last']>): Promise<void> {
  await shared.update((doc) => withRecord(doc, name, (r) => ({...r, last})))
}

export async function recordEnd(shared: SharedScheduleState, name: string, job: Job): Promise<void> {
  await shared.update((doc) => {
    const last = doc.schedules[name]?.last
    if (last?.jobId !== job.id) return undefined
    return withRecord(doc, name, (r) => ({...r, last: {...last, state: job.state, ...(job.exitCode !== undefined ? {exitCode: job.exitCode} : {})}}))
  })
}

/** Start the schedule's job now (overlap policy applied); `key` makes a slot start at most one job in this store. */
export async function startRun(d: FireDeps, e: ScheduleEntry, slotIso: string | undefined, opts: {key?: string; by?: 'schedule' | 'api'} = {}): Promise<{fired: 'started' | 'skipped'; job: Job}> {
  const trigger: JobTrigger = {type: 'schedule', by: e.name}
  const key = opts.key
  const running = activeRuns(d.runner, e.name, e.env)
  if (running.length && e.overlap === 'forbid') {
    const reason = `the previous run ${running[0]!.id} still runs`
    const job = await d.runner.record(e.job, trigger, 'skipped', reason, {secrets: e.secrets})
    await d.shared.update((doc) => withRecord(doc, e.name, (r) => ({...r, skipped: {jobId: job.id, at: job.createdAt, ...(slotIso ? {slot: slotIso} : {}), reason}})))
    d.log(`schedule ${e.name}: ${slotIso ?? 'now'} skipped: ${reason}`)
    return {fired: 'skipped', job}
  }
  if (running.length && e.overlap === 'replace') {
    for (const j of running) await d.runner.cancel(j.id)
  }
  const job = await d.runner.start(e.job, trigger, {...(key ? {key, keyTtlMs: KEY_TTL_MS} : {}), secrets: e.secrets})
  await recordLast(d.shared, e.name, {jobId: job.id, state: job.state, at: job.createdAt, ...(slotIso ? {slot: slotIso} : {}), by: opts.by ?? 'schedule'})
  d.log(`schedule ${e.name}: ${slotIso ?? 'now'} started job ${job.id}`)
  void d.runner
    .wait(job.id)
    .then((end) => recordEnd(d.shared, e.name, end))
    .catch((err: Error) => d.log(`schedule ${e.name}: recording the end of job ${job.id}: ${err.message}`))
  return {fired: 'started', job}
}

/** Fire one slot of a schedule, if this server may (the caller checked leadership) and nobody fired it yet. */
export async function fireSlot(d: FireDeps, e: ScheduleEntry, slot: Date): Promise<FireOutcome> {
  const slotIso = slot.toISOString()
  if (!(await claimSlot(d.shared, e.name, slotIso))) return {fired: false, why: `slot ${slotIso} was fired already`}
  return startRun(d, e, slotIso, {key: `schedule:${e.name}:${slotIso}`})
}
