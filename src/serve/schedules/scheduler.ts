/**
 * Fires the plan's schedules while this server leads. One timer per schedule, armed for its next cron slot (UTC
 * unless the schedule names a time zone; never longer than a minute, so a clock change is noticed); at the slot, if
 * this server holds the lease, the slot is claimed in the shared schedule document and its job started (fire.ts).
 * A server that is not the leader lets slots pass. On start and on becoming the leader, a schedule with `catchUp`
 * runs its most recent missed slot once if it is recent enough; other missed slots are never run.
 */
import {loadPlan} from '../../plan/load.js'
import type {SharedScheduleState} from '../lease-common.js'
import type {ServeContext} from '../types.js'
import {catchUpSlot, schedulesOf, type ScheduleEntry} from './spec.js'
import {fireSlot, type FireDeps} from './fire.js'

export interface SchedulerHandle {
  stop(): Promise<void>
}

export interface SchedulerOptions {
  /** the shared schedule document (default: beside the lease in the plan's state backend) */
  shared?: SharedScheduleState
  /** how often leadership is looked at, for catching up when it is gained (default 1 s) */
  leaderPollMs?: number
}

/** the longest a timer waits before looking at the clock again */
const MAX_WAIT_MS = 60_000
/** a slot whose timer woke later than this (a suspended machine, a blocked loop) is let pass, not run late */
const LATE_MS = 30_000

export async function startScheduler(ctx: ServeContext, opts: SchedulerOptions = {}): Promise<SchedulerHandle> {
  const {loaded} = await loadPlan(ctx.planFile)
  const entries = schedulesOf(loaded.plan, loaded.secrets).filter((e) => e.enabled)
  const shared = opts.shared ?? (await (await import('../lease-backend.js')).sharedBackendOf(ctx.projectDir, ctx.planFile)).schedules
  const deps: FireDeps = {runner: ctx.runner, shared, log: ctx.log}
  const timers = new Map<string, NodeJS.Timeout>()
  /** per schedule, its slots one after the other (so the overlap policy sees the previous one started) */
  const chains = new Map<string, Promise<void>>()
  let stopped = false
  let wasLeader = false

  const enqueue = (e: ScheduleEntry, work: () => Promise<void>) => {
    const next = (chains.get(e.name) ?? Promise.resolve()).then(work).catch((err: Error) => ctx.log(`schedule ${e.name}: ${err.message?.split('\n')[0] ?? err}`))
    chains.set(e.name, next)
  }
  const fire = (e: ScheduleEntry, slot: Date) =>
    enqueue(e, async () => {
      if (stopped || !ctx.leader.isLeader()) return
      await fireSlot(deps, e, slot)
    })

  const arm = (e: ScheduleEntry, after: Date) => {
    if (stopped) return
    let slot: Date | null
    try {
      slot = e.cron.nextRun(after)
    } catch (err) {
      ctx.log(`schedule ${e.name}: cannot compute its next run: ${(err as Error).message}`)
      return
    }
    if (!slot) return
    const wake = () => {
      if (stopped) return
      const now = Date.now()
      if (now < slot!.getTime()) return void timers.set(e.name, setTimeout(wake, Math.min(slot!.getTime() - now, MAX_WAIT_MS)))
      if (now - slot!.getTime() <= LATE_MS) fire(e, slot!)
      else ctx.log(`schedule ${e.name}: slot ${slot!.toISOString()} passed while this server was not running it (not caught up)`)
      // the next slot after this one, or after now when this server fell behind
      arm(e, new Date(Math.max(slot!.getTime(), now - LATE_MS)))
    }
    timers.set(e.name, setTimeout(wake, Math.min(Math.max(0, slot.getTime() - Date.now()), MAX_WAIT_MS)))
  }

  const catchUp = async () => {
    const due = entries.filter((e) => e.catchUpMs > 0)
    if (!due.length) return
    const doc = await shared.read()
    const now = new Date()
    for (const e of due) {
      const slot = catchUpSlot(e, doc.schedules[e.name]?.slot, now)
      if (slot) {
        ctx.log(`schedule ${e.name}: catching up the missed slot ${slot.toISOString()}`)
        fire(e, slot)
      }
    }
  }
  const watchLeader = () => {
    const leads = ctx.leader.isLeader()
    if (leads && !wasLeader) void catchUp().catch((err: Error) => ctx.log(`schedules: catching up: ${err.message}`))
    wasLeader = leads
  }
  watchLeader()
  const leaderTimer = setInterval(watchLeader, opts.leaderPollMs ?? 1000)
  const start = new Date()
  for (const e of entries) arm(e, start)
  if (entries.length) ctx.log(`schedules: ${entries.length} armed (${entries.map((e) => e.name).join(', ')})`)

  return {
    stop: async () => {
      stopped = true
      clearInterval(leaderTimer)
      for (const t of timers.values()) clearTimeout(t)
      timers.clear()
      // the slots being fired finish (bounded: each is a few writes and a job start)
      await Promise.race([Promise.all(chains.values()), new Promise((r) => setTimeout(r, 10_000).unref())])
    },
  }
}
