/**
 * The contract between the parts of `dops serve`: jobs (what the API, webhooks and schedules start), their store and
 * runner, and the context every route plugin receives. The service runs the same core as the CLI (run-job,
 * deploy-job, env-job); a job is one call of that core, recorded.
 */
import type {DopsEvent} from '../events.js'

/** What a job does: one core call each (`deploy.git`: fetch a commit, build it, then deploy it as `dops deploy`). */
export type JobKind = 'env.up' | 'env.down' | 'scale' | 'deploy' | 'deploy.git' | 'rollback' | 'run' | RecoveryJobKind

/** recovery from alerts (src/recover): an app's restart on a host, a host's replacement, a script with the alert's labels */
export type RecoveryJobKind = 'restart' | 'replace' | 'run.alert'

/**
 * `queued`: waits for another job of the same environment; `interrupted`: was running when the server stopped;
 * `skipped`: a schedule's run not started (overlap); `superseded`: a push older than what is deployed.
 */
export type JobState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted' | 'skipped' | 'superseded'

export const TERMINAL_STATES: readonly JobState[] = ['succeeded', 'failed', 'cancelled', 'interrupted', 'skipped', 'superseded']

/** Who or what started a job. */
export interface JobTrigger {
  type: 'api' | 'webhook' | 'schedule' | 'cli' | 'recovery'
  /** the token's name (api), the forge (webhook), the schedule's name */
  by?: string
  /** webhook: the delivery id; commit sha, message and compare link */
  delivery?: string
  commit?: string
  message?: string
  compare?: string
}

/**
 * A job's parameters by kind. Everything is plain JSON (it is journaled). Selections use the CLI's words.
 * - env.up / env.down: {}
 * - scale: {groups: {web: 4}}
 * - deploy: {app, revision?} (revision: a directory or archive of the project, as `dops deploy --revision`)
 * - deploy.git: {app, url, commit, ref?, path?}
 * - rollback: {app, to?} (to: a revision id; default the previous good one, as `dops rollback`)
 * - run: {command? | script?, args?, group?, labels?, hosts?, batch?, maxFailures?, timeout?, sudo?}
 */
export type JobParams = Record<string, unknown>

export interface JobSpec {
  kind: JobKind
  /** the environment of the plan (default: its only one) */
  env: string
  params: JobParams
}

export interface Job extends JobSpec {
  id: string
  trigger: JobTrigger
  state: JobState
  createdAt: string
  startedAt?: string
  endedAt?: string
  /** the exit code the CLI would have given */
  exitCode?: number
  /** the core's report (EnvReport, DeployReport, RunJournal), as `--json` prints it */
  result?: unknown
  error?: {code: string; message: string}
  /** why a job was skipped, superseded, queued or cancelled */
  reason?: string
}

/** One entry of a job's event log: the core's progress events plus the job's own state changes. */
export interface JobEvent {
  /** 1-based, per job: the SSE id (`Last-Event-ID` replays after it) */
  seq: number
  at: string
  type: DopsEvent['type'] | 'job.state' | 'job.log'
  data: unknown
}

/**
 * Persistence of jobs: one summary line per state change, one event log per job, idempotency keys with expiry.
 * Survives a restart; `open()` marks jobs left `running` or `queued` by a dead server as `interrupted`.
 */
export interface JobStore {
  open(): Promise<void>
  put(job: Job): Promise<void>
  get(id: string): Job | undefined
  /** newest first */
  list(filter?: {env?: string; kind?: JobKind; state?: JobState; limit?: number}): Job[]
  appendEvent(id: string, event: Omit<JobEvent, 'seq'>): Promise<JobEvent>
  events(id: string, afterSeq?: number): Promise<JobEvent[]>
  /** an idempotency key (webhook delivery, schedule slot): the job it started, while not expired */
  getKey(key: string): string | undefined
  putKey(key: string, jobId: string, ttlMs: number): Promise<void>
  close(): Promise<void>
}

/** What a job kind's implementation gets: where the project is, how to report, when to stop. */
export interface JobContext {
  projectDir: string
  planFile: string
  job: Job
  reporter: (event: DopsEvent) => void
  /** a line for the job's log (`job.log` event) */
  log: (line: string) => void
  /** cancel: finish the step in progress, start nothing new (as Ctrl-C once) */
  stopSignal: AbortSignal
}

export type JobKindImpl = (params: JobParams, ctx: JobContext) => Promise<{exitCode: number; result: unknown}>

/**
 * Runs jobs: at most one at a time per environment (a job whose environment is busy is queued behind it, FIFO), all
 * recorded in the store, events fanned out to subscribers.
 */
export interface JobRunner {
  /**
   * answers at once with the job (queued or running); `key`: idempotency key, its first job is returned again;
   * `secrets`: values in the parameters (the plan's `${env:..}`) masked in everything stored or shown: the job runs
   * with them, its record never holds them (a job left queued by a dead server is never run again from its record)
   */
  start(spec: JobSpec, trigger: JobTrigger, opts?: {key?: string; keyTtlMs?: number; secrets?: string[]}): Promise<Job>
  /** record a job that is not run (a skipped schedule run, a superseded push); `secrets` as for start */
  record(spec: JobSpec, trigger: JobTrigger, state: 'skipped' | 'superseded', reason: string, opts?: {secrets?: string[]}): Promise<Job>
  cancel(id: string): Promise<Job | undefined>
  get(id: string): Job | undefined
  list(filter?: Parameters<JobStore['list']>[0]): Job[]
  /** events after `afterSeq` (replay), then live ones until the job ends; returns the unsubscribe function */
  subscribe(id: string, afterSeq: number, onEvent: (e: JobEvent) => void, onEnd: () => void): Promise<() => void>
  /** resolves when the job reaches a terminal state */
  wait(id: string): Promise<Job>
  /** stop accepting jobs, cancel running ones, wait for them (bounded) */
  close(): Promise<void>
}

/** Leadership among several `dops serve` on one shared state: only the leader fires schedules and acts on webhooks. */
export interface Leader {
  isLeader(): boolean
  /** who holds the lease (host:pid) and until when, for the dashboard */
  holder(): {owner: string; expiresAt: string} | undefined
}

export interface ServeContext {
  projectDir: string
  /** the plan file, absolute */
  planFile: string
  version: string
  runner: JobRunner
  store: JobStore
  leader: Leader
  /** reads without a token (dashboard and GET routes) */
  publicRead: boolean
  /** a line for the server's log (stderr); never a secret */
  log: (line: string) => void
}
