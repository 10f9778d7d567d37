/** The plan's schedules as the scheduler uses them: their cron, environment, overlap policy and the job each starts. */
import type {Cron} from 'croner'
import {scheduleEnv} from '../../plan/schedule-checks.js'
import type {Plan, ScheduleSpec} from '../../plan/types.js'
import {parseDuration} from '../../util/duration.js'
import {makeRedactor} from '../../util/redact.js'
import type {JobParams, JobSpec} from '../types.js'
import {cronOf} from './cron.js'

export interface ScheduleEntry {
  name: string
  spec: ScheduleSpec
  cronExpr: string
  timezone: string
  env: string
  overlap: 'forbid' | 'allow' | 'replace'
  enabled: boolean
  /** how late a missed slot may still be run at start (0: never caught up) */
  catchUpMs: number
  cron: Cron
  job: JobSpec
  /** what it does, in a few words (the plan's secrets masked): `run: uptime`, `script: scripts/x.sh`, `deploy: api` */
  what: string
  /** the plan's secret values: masked in the job's record (the job runs with them) */
  secrets: string[]
}

/** The job a schedule starts: `run` with the JobParams of `dops run`, or `deploy` of an app. */
export function jobSpecOf(spec: ScheduleSpec, env: string): JobSpec {
  if (spec.deploy) {
    const params: JobParams = {app: spec.deploy.app}
    if (spec.deploy.revision !== undefined) params.revision = spec.deploy.revision
    return {kind: 'deploy', env, params}
  }
  const r = spec.run ?? {}
  const params: JobParams = {}
  for (const k of ['command', 'script', 'args', 'group', 'labels', 'hosts', 'batch', 'maxFailures', 'sudo'] as const) {
    if (r[k] !== undefined) params[k] = r[k]
  }
  // the CLI's words: a number of seconds becomes `Ns`
  if (r.timeout !== undefined) params.timeout = typeof r.timeout === 'number' ? `${r.timeout}s` : r.timeout
  return {kind: 'run', env, params}
}

export function whatOf(spec: ScheduleSpec): string {
  if (spec.deploy) return `deploy: ${spec.deploy.app}${spec.deploy.revision ? ` (${spec.deploy.revision})` : ''}`
  if (spec.run?.script) return `script: ${[spec.run.script, ...(spec.run.args ?? [])].join(' ')}`
  return `run: ${spec.run?.command ?? ''}`
}

/** The schedules of a checked plan (the plan loader refused bad ones), in the plan's order; `secrets`: the plan's. */
export function schedulesOf(plan: Plan, secrets: string[] = []): ScheduleEntry[] {
  const redact = makeRedactor(secrets)
  return Object.entries(plan.schedules ?? {}).map(([name, spec]) => {
    const env = scheduleEnv(plan, spec) ?? ''
    const timezone = spec.timezone ?? 'UTC'
    return {
      name,
      spec,
      cronExpr: spec.cron,
      timezone,
      env,
      overlap: spec.overlap ?? 'forbid',
      enabled: spec.enabled !== false,
      catchUpMs: spec.catchUp !== undefined ? (parseDuration(spec.catchUp) ?? 0) : 0,
      cron: cronOf(spec.cron, timezone),
      job: jobSpecOf(spec, env),
      what: redact(whatOf(spec)),
      secrets,
    }
  })
}

/**
 * The slot to catch up at start: the most recent one at most `catchUpMs` ago that was not fired yet (`lastSlot`:
 * the last fired, ISO), or undefined.
 */
export function catchUpSlot(e: Pick<ScheduleEntry, 'cron' | 'catchUpMs'>, lastSlot: string | undefined, now: Date): Date | undefined {
  if (e.catchUpMs <= 0) return undefined
  const prev = e.cron.previousRuns(1, now)[0]
  if (!prev || now.getTime() - prev.getTime() > e.catchUpMs) return undefined
  if (lastSlot && Date.parse(lastSlot) >= prev.getTime()) return undefined
  return prev
}
