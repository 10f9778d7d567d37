/**
 * Recovery from alerts: the alerts of each Alertmanager delivery are decided one delivery at a time (in order, so the
 * guards see every earlier decision), each decision journaled; an action is a job of the runner (queued behind a
 * deploy of its environment), and its end is journaled too, with its timings.
 */
import {randomBytes} from 'node:crypto'
import type {Job, JobKind, JobRunner} from '../serve/types.js'
import {TERMINAL_STATES} from '../serve/types.js'
import {decide, dedupeKey, type Verdict} from './guards.js'
import type {RecoveryJournal} from './journal.js'
import type {AlertIn, Decision, EnvView} from './types.js'
import {envView} from './view.js'

export interface RecoveryOptions {
  projectDir: string
  planFile: string
  runner: JobRunner
  journal: RecoveryJournal
  log: (line: string) => void
  now?: () => number
  /** leadership, checked again just before an action starts (it may have been lost since the delivery) */
  isLeader?: () => boolean
  /** the environment's view (default: from the plan and its state) */
  view?: (env: string) => Promise<EnvView | undefined>
}

const KIND: Record<string, JobKind> = {restart: 'restart', replace: 'replace', run: 'run.alert', scale: 'scale'}
/** alerts remembered as firing (for the storm guard), at most */
const MAX_FIRING = 10_000
/** a firing alert not re-sent for this long is forgotten (Alertmanager's repeat_interval is 4 h by default) */
const FIRING_TTL_MS = 24 * 3600_000
/** queued deliveries at most: more are refused (Alertmanager retries) */
export const MAX_BACKLOG = 100

/** a label as a log line shows it: no control characters, bounded */
const printable = (s: string) => s.replace(/[\x00-\x1f\x7f]/g, '?').slice(0, 128)

export const newDecisionId = () => `d-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`

export class Recovery {
  private chain: Promise<void> = Promise.resolve()
  private backlog = 0
  /** firing alerts by fingerprint: which host of which group */
  private readonly firing = new Map<string, {env?: string; group?: string; host?: string; at: number}>()
  /** the job of a fingerprint's action, while it may still be cancelled */
  private readonly jobs = new Map<string, string>()

  constructor(private readonly o: RecoveryOptions) {}

  /** take a delivery's alerts (answers at once); false when too many deliveries wait already */
  accept(alerts: AlertIn[], receivedAt = this.now()): boolean {
    if (this.backlog >= MAX_BACKLOG) return false
    this.backlog++
    this.chain = this.chain
      .then(() => this.process(alerts, receivedAt))
      .catch((e: Error) => this.o.log(`recovery: a delivery could not be decided: ${e.message}`))
      .finally(() => void this.backlog--)
    return true
  }

  /** resolves when every delivery accepted so far is decided */
  idle(): Promise<void> {
    return this.chain
  }

  private now(): number {
    return this.o.now?.() ?? Date.now()
  }

  private async process(alerts: AlertIn[], receivedAt: number): Promise<void> {
    // the whole delivery counts for the storm guard before any of its alerts is decided
    for (const a of alerts) {
      if (a.status === 'firing') {
        if (this.firing.size < MAX_FIRING || this.firing.has(a.fingerprint)) this.firing.set(a.fingerprint, {env: a.labels.env, group: a.labels.group, host: a.labels.host, at: receivedAt})
      } else this.firing.delete(a.fingerprint)
    }
    // a firing alert not heard of for a day (its resolve lost) is forgotten: Alertmanager re-sends firing ones
    for (const [fp, f] of this.firing) if (receivedAt - f.at > FIRING_TTL_MS) this.firing.delete(fp)
    const views = new Map<string, EnvView | undefined>()
    for (const a of alerts) {
      const env = a.labels.env ?? ''
      if (!views.has(env)) views.set(env, await (this.o.view ?? this.defaultView.bind(this))(env))
      const view = views.get(env)
      const alerting: Record<string, Set<string>> = {}
      for (const f of this.firing.values()) if (f.env === view?.env && f.group && f.host) (alerting[f.group] ??= new Set()).add(f.host)
      const history = this.o.journal.effective(view?.env)
      // in flight: its job has not ended (a job a dead server left is `interrupted`, ended)
      const inFlight = view ? this.o.journal.inFlight(view.env).filter((d) => d.jobId && !TERMINAL_STATES.includes(this.o.runner.get(d.jobId)?.state ?? 'interrupted')) : []
      const verdict = decide({alert: a, view, alerting, history, inFlight, now: this.now()})
      await this.record(a, verdict, receivedAt)
    }
  }

  private async defaultView(env: string): Promise<EnvView | undefined> {
    if (!env) return undefined
    try {
      return await envView({cwd: this.o.projectDir, planFile: this.o.planFile, env})
    } catch (e) {
      this.o.log(`recovery: environment ${printable(env)}: ${(e as Error).message.replace(/[\x00-\x1f\x7f]/g, '?')}`)
      return undefined
    }
  }

  private async record(a: AlertIn, v: Verdict, receivedAt: number): Promise<void> {
    const base = {id: newDecisionId(), at: new Date(this.now()).toISOString(), env: v.env, group: v.group, host: v.host, alert: a.name, fingerprint: a.fingerprint, startsAt: a.startsAt, action: v.action}
    const decideMs = Math.round(this.now() - receivedAt)
    if (a.status === 'resolved') await this.cancelFor(a)
    if (!v.act) {
      await this.o.journal.append({...base, outcome: v.outcome, reason: v.reason, guard: v.guard, timings: {decideMs}})
      return
    }
    const d: Decision = {...base, ...(v.asked ? {asked: v.asked} : {}), outcome: v.dryRun ? 'dry-run' : 'acted', reason: v.dryRun ? `dry run: would ${v.reason}` : v.reason, params: v.params, timings: {decideMs}}
    if (v.dryRun) return this.o.journal.append(d)
    if (this.o.isLeader && !this.o.isLeader()) return this.o.journal.append({...d, outcome: 'suppressed', guard: 'not-leader', reason: 'this server lost the leadership before acting; the leader decides'})
    const busy = this.o.runner.list({env: v.env, state: 'running', limit: 1})[0]
    if (busy) d.reason += `; waits behind job ${busy.id} (${busy.kind}) of environment ${v.env}`
    const params = v.action === 'scale' ? {groups: v.params.groups, yes: true, decision: d.id} : {...v.params, decision: d.id}
    try {
      const job = await this.o.runner.start({kind: KIND[v.action]!, env: v.env, params}, {type: 'recovery', by: a.name, delivery: dedupeKey(a)})
      d.jobId = job.id
      this.jobs.set(a.fingerprint, job.id)
      await this.o.journal.append(d)
      void this.o.runner
        .wait(job.id)
        .then((j) => this.ended(d, j, receivedAt))
        .catch((e: Error) => this.o.log(`recovery: the end of job ${job.id} was not journaled: ${e.message}`))
    } catch (e) {
      await this.o.journal.append({...d, outcome: 'suppressed', guard: 'start', reason: `the action could not start: ${(e as Error).message}`})
    }
  }

  /** a resolved alert: its action, when still queued, is cancelled */
  private async cancelFor(a: AlertIn): Promise<void> {
    const id = this.jobs.get(a.fingerprint)
    this.jobs.delete(a.fingerprint)
    const job = id ? this.o.runner.get(id) : undefined
    if (job?.state === 'queued') await this.o.runner.cancel(job.id)
  }

  private async ended(d: Decision, j: Job, receivedAt: number): Promise<void> {
    if (this.jobs.get(d.fingerprint) === j.id) this.jobs.delete(d.fingerprint)
    if (!TERMINAL_STATES.includes(j.state)) return
    const t = (s?: string) => (s ? Date.parse(s) : NaN)
    const {suppressed, guard} = (j.result ?? {}) as {suppressed?: string; guard?: string}
    const outcome = suppressed ? (guard === 'healthy' ? 'verified-healthy' : 'suppressed') : j.state === 'succeeded' ? 'succeeded' : j.state === 'cancelled' ? 'cancelled' : 'failed'
    const reason = suppressed ?? (j.state === 'succeeded' ? `${d.action} done` : `${d.action} ${j.state}${j.error ? `: ${j.error.message}` : j.reason ? `: ${j.reason}` : ''}`)
    const timings = {waitedMs: Math.round(t(j.startedAt) - t(j.createdAt)) || 0, actMs: Math.round(t(j.endedAt) - t(j.startedAt)) || 0, totalMs: Math.round(t(j.endedAt) - receivedAt) || 0}
    await this.o.journal.append({id: newDecisionId(), of: d.id, at: new Date(this.now()).toISOString(), env: d.env, group: d.group, host: d.host, alert: d.alert, fingerprint: d.fingerprint, startsAt: d.startsAt, action: d.action, outcome, reason, ...(suppressed ? {guard: guard ?? 'healthy'} : {}), jobId: j.id, timings})
    this.o.log(`recovery: ${d.action} of ${d.host ?? d.group} (${d.alert}): ${outcome} in ${timings.totalMs} ms`)
  }
}
