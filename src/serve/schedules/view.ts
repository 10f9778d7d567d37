/** What `dops schedule list` and `GET /schedules` show: each schedule, its next runs and its last run. */
import {loadPlan} from '../../plan/load.js'
import type {SchedulesDoc, SharedScheduleState} from '../lease-common.js'
import {schedulesOf, type ScheduleEntry} from './spec.js'

export interface ScheduleView {
  name: string
  description?: string
  cron: string
  timezone: string
  env: string
  what: string
  overlap: 'forbid' | 'allow' | 'replace'
  enabled: boolean
  catchUp?: string | number
  /** the next runs, ISO (none when disabled) */
  next: string[]
  last?: {jobId: string; state: string; at: string; slot?: string; by?: string; exitCode?: number}
  skipped?: {jobId: string; at: string; slot?: string; reason: string}
  /** the last slot fired, by any server */
  lastSlot?: string
}

export function viewOf(entries: ScheduleEntry[], doc: SchedulesDoc, now = new Date(), count = 3): ScheduleView[] {
  return entries.map((e) => {
    const r = doc.schedules[e.name]
    return {
      name: e.name,
      ...(e.spec.description ? {description: e.spec.description} : {}),
      cron: e.cronExpr,
      timezone: e.timezone,
      env: e.env,
      what: e.what,
      overlap: e.overlap,
      enabled: e.enabled,
      ...(e.spec.catchUp !== undefined ? {catchUp: e.spec.catchUp} : {}),
      next: e.enabled ? e.cron.nextRuns(count, now).map((d) => d.toISOString()) : [],
      ...(r?.last ? {last: r.last} : {}),
      ...(r?.skipped ? {skipped: r.skipped} : {}),
      ...(r?.slot ? {lastSlot: r.slot} : {}),
    }
  })
}

/** The schedules of a plan file with their shared records. */
export async function listSchedules(p: {planFile: string; projectDir: string; shared?: SharedScheduleState; now?: Date; count?: number}): Promise<ScheduleView[]> {
  const {loaded} = await loadPlan(p.planFile)
  const entries = schedulesOf(loaded.plan, loaded.secrets)
  const shared = p.shared ?? (await (await import('../lease-backend.js')).sharedBackendFor(p.projectDir, loaded.plan.project, loaded.plan.state)).schedules
  return viewOf(entries, entries.length ? await shared.read() : {version: 1, schedules: {}}, p.now, p.count)
}
