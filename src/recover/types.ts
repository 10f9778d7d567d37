/** The data of recovery and scaling from alerts: an alert as received, what dops knows of an environment, a decision. */
import type {AlertPolicy} from '../plan/types.js'
import type {Automation} from './settings.js'

/** One alert of an Alertmanager notification (payload version 4), as dops uses it. */
export interface AlertIn {
  name: string
  status: 'firing' | 'resolved'
  labels: Record<string, string>
  fingerprint: string
  startsAt: string
}

export interface HostView {
  name: string
  createdAt: string
  /** the end of the last deployment to it (recent records only) */
  deployedAt?: string
}

export interface GroupView {
  hosts: HostView[]
  /** the group's alert policies by alert name */
  policies: Record<string, AlertPolicy>
  apps: string[]
  /** static hosts: never replaced or scaled */
  static: boolean
  /** Auto Scaling bounds (scale stays within them) */
  min?: number
  max?: number
}

export interface EnvView {
  project: string
  env: string
  groups: Record<string, GroupView>
  automation: Automation
}

export type ActionKind = AlertPolicy['action']

/**
 * `acted`: a job was started; `dry-run`: it would have been; `suppressed`: a guard stopped it; `ignored`: not for
 * dops (resolved, another project, no policy); later lines of the same decision: `verified` (the job found the host
 * fine: suppressed), `succeeded`, `failed`, `cancelled`.
 */
export type Outcome = 'acted' | 'dry-run' | 'suppressed' | 'ignored' | 'succeeded' | 'failed' | 'cancelled' | 'verified-healthy'

export interface Decision {
  id: string
  at: string
  env?: string
  group?: string
  host?: string
  alert: string
  fingerprint: string
  startsAt: string
  action?: ActionKind
  /** the action as the plan says, when the ladder changed it (restart → replace) */
  asked?: ActionKind
  outcome: Outcome
  /** why: the guard that suppressed it, or what was done */
  reason: string
  /** the guard's name when one suppressed it (dedupe, resolved, unknown-host, stale, paused, storm, grace, cooldown, ladder, budget, in-flight, min-healthy, bounds, healthy) */
  guard?: string
  jobId?: string
  /** the job's parameters (scale: the new count) */
  params?: Record<string, unknown>
  /** ms: from the delivery's arrival to the decision; of the job (queued → end) */
  timings?: {decideMs?: number; waitedMs?: number; actMs?: number; totalMs?: number}
  /** a later line about the same decision (its job's end) */
  of?: string
}
