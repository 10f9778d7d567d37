/**
 * Runs the service's jobs through the same core as the CLI: one job at a time per environment (the others wait in
 * order, as a second CLI command would wait for the lock, but without failing), each state change and event
 * recorded in the store and passed on to live subscribers (the SSE streams).
 */
import {randomBytes} from 'node:crypto'
import {DopsError, ExitCode} from '../../errors.js'
import type {DopsEvent} from '../../events.js'
import type {Job, JobEvent, JobParams, JobRunner, JobSpec, JobState, JobStore, JobTrigger} from '../types.js'
import {TERMINAL_STATES} from '../types.js'
import {jobKind} from './registry.js'
import {makeRedactor} from '../../util/redact.js'

/** The parameters with every secret value masked (strings, at any depth). */
export function maskParams(params: JobParams, secrets: string[] | undefined): JobParams {
  if (!secrets?.length) return params
  const redact = makeRedactor(secrets)
  const walk = (v: unknown): unknown => (typeof v === 'string' ? redact(v) : Array.isArray(v) ? v.map(walk) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)])) : v)
  return walk(params) as JobParams
}

export function newJobId(now = new Date()): string {
  return `j-${now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)}-${randomBytes(3).toString('hex')}`
}

type Listener = {onEvent: (e: JobEvent) => void; onEnd: () => void}

/** how long `close()` waits for cancelled jobs to finish their step before leaving them `interrupted` */
const CLOSE_WAIT_MS = 30_000

export class Runner implements JobRunner {
  private readonly queues = new Map<string, string[]>()
  private readonly running = new Map<string, {job: Job; stop: AbortController; done: Promise<void>}>()
  private readonly listeners = new Map<string, Set<Listener>>()
  private readonly waiters = new Map<string, Array<(j: Job) => void>>()
  /** the parameters a job runs with, when its record holds them masked */
  private readonly realParams = new Map<string, JobParams>()
  private closed = false

  constructor(
    private readonly store: JobStore,
    private readonly where: {projectDir: string; planFile: string},
  ) {}

  async start(spec: JobSpec, trigger: JobTrigger, opts: {key?: string; keyTtlMs?: number; secrets?: string[]} = {}): Promise<Job> {
    if (opts.key) {
      const first = this.store.getKey(opts.key)
      const job = first ? this.store.get(first) : undefined
      if (job) return job
    }
    if (this.closed) throw new DopsError('SERVER_CLOSING', 'the server is stopping; no new job is started', {exitCode: ExitCode.INTERRUPTED})
    if (!jobKind(spec.kind)) throw new DopsError('UNKNOWN_JOB_KIND', `no job kind \`${spec.kind}\``, {exitCode: ExitCode.INVALID_INPUT})
    const params = maskParams(spec.params, opts.secrets)
    const job: Job = {id: newJobId(), kind: spec.kind, env: spec.env, params, trigger, state: 'queued', createdAt: new Date().toISOString()}
    if (params !== spec.params) this.realParams.set(job.id, spec.params)
    const queue = this.queues.get(spec.env) ?? []
    this.queues.set(spec.env, queue)
    const ahead = this.running.get(spec.env)?.job.id ?? queue.at(-1)
    if (ahead) job.reason = `queued behind job ${ahead} of environment ${spec.env}`
    queue.push(job.id)
    await this.store.put(job)
    if (opts.key) await this.store.putKey(opts.key, job.id, opts.keyTtlMs ?? 72 * 3600_000)
    await this.event(job.id, 'job.state', {state: job.state, reason: job.reason})
    this.pump(spec.env)
    return this.store.get(job.id) ?? job
  }

  async record(spec: JobSpec, trigger: JobTrigger, state: 'skipped' | 'superseded', reason: string, opts: {secrets?: string[]} = {}): Promise<Job> {
    const now = new Date().toISOString()
    const job: Job = {id: newJobId(), ...spec, params: maskParams(spec.params, opts.secrets), trigger, state, createdAt: now, endedAt: now, reason}
    await this.store.put(job)
    await this.event(job.id, 'job.state', {state, reason})
    return job
  }

  get(id: string): Job | undefined {
    return this.store.get(id)
  }

  list(filter?: Parameters<JobStore['list']>[0]): Job[] {
    return this.store.list(filter)
  }

  async cancel(id: string): Promise<Job | undefined> {
    const job = this.store.get(id)
    if (!job) return undefined
    if (job.state === 'queued') {
      const q = this.queues.get(job.env) ?? []
      const i = q.indexOf(id)
      if (i >= 0) q.splice(i, 1)
      return this.finish({...job, endedAt: new Date().toISOString(), state: 'cancelled', reason: 'cancelled before it started'})
    }
    const r = this.running.get(job.env)
    if (r?.job.id === id && !r.stop.signal.aborted) {
      r.stop.abort()
      await this.event(id, 'job.log', {line: 'cancelling: the step in progress finishes, nothing new starts'})
    }
    return this.store.get(id)
  }

  async subscribe(id: string, afterSeq: number, onEvent: (e: JobEvent) => void, onEnd: () => void): Promise<() => void> {
    // listen first (buffering), then replay what is stored, then hand over to the live events past the replay
    const buffered: JobEvent[] = []
    let live = false
    let last = afterSeq
    let ended = false
    const end = () => {
      if (ended) return
      ended = true
      set.delete(listener)
      onEnd()
    }
    const deliver = (e: JobEvent) => {
      if (e.seq <= last) return
      last = e.seq
      onEvent(e)
      if (e.type === 'job.state' && TERMINAL_STATES.includes((e.data as {state: JobState}).state)) end()
    }
    const listener: Listener = {onEvent: (e) => (live ? deliver(e) : buffered.push(e)), onEnd: end}
    const set = this.listeners.get(id) ?? new Set()
    this.listeners.set(id, set)
    set.add(listener)
    for (const e of await this.store.events(id, afterSeq)) if (!ended) deliver(e)
    for (const e of buffered) if (!ended) deliver(e)
    live = true
    const job = this.store.get(id)
    if (!ended && (!job || TERMINAL_STATES.includes(job.state))) end()
    return () => {
      ended = true
      set.delete(listener)
    }
  }

  wait(id: string): Promise<Job> {
    const job = this.store.get(id)
    if (!job) return Promise.reject(new DopsError('NO_SUCH_JOB', `no job ${id}`, {exitCode: ExitCode.INVALID_INPUT}))
    if (TERMINAL_STATES.includes(job.state)) return Promise.resolve(job)
    return new Promise((resolve) => {
      const w = this.waiters.get(id) ?? []
      w.push(resolve)
      this.waiters.set(id, w)
    })
  }

  async close(): Promise<void> {
    this.closed = true
    for (const [env, q] of this.queues) {
      for (const id of q.splice(0)) {
        const job = this.store.get(id)
        if (job) await this.finish({...job, state: 'cancelled', endedAt: new Date().toISOString(), reason: 'the server stopped before the job started'})
      }
      this.queues.delete(env)
    }
    const running = [...this.running.values()]
    for (const r of running) r.stop.abort()
    let timer: NodeJS.Timeout | undefined
    await Promise.race([Promise.all(running.map((r) => r.done)), new Promise((res) => (timer = setTimeout(res, CLOSE_WAIT_MS).unref()))])
    clearTimeout(timer)
    await this.store.close()
  }

  private event(id: string, type: JobEvent['type'], data: unknown): Promise<JobEvent> {
    return this.store.appendEvent(id, {at: new Date().toISOString(), type, data}).then((e) => {
      for (const l of [...(this.listeners.get(id) ?? [])]) l.onEvent(e)
      return e
    })
  }

  private async finish(job: Job): Promise<Job> {
    await this.store.put(job)
    await this.event(job.id, 'job.state', {state: job.state, exitCode: job.exitCode, reason: job.reason, error: job.error})
    for (const l of [...(this.listeners.get(job.id) ?? [])]) l.onEnd()
    this.listeners.delete(job.id)
    for (const w of this.waiters.get(job.id) ?? []) w(job)
    this.waiters.delete(job.id)
    return job
  }

  /** start the next job of an environment when none runs */
  private pump(env: string): void {
    if (this.running.has(env) || this.closed) return
    const id = this.queues.get(env)?.shift()
    if (!id) return
    const job = this.store.get(id)
    if (!job || job.state !== 'queued') return this.pump(env)
    const stop = new AbortController()
    const done = this.execute(job, stop).finally(() => {
      this.running.delete(env)
      this.pump(env)
    })
    this.running.set(env, {job, stop, done})
  }

  private async execute(queued: Job, stop: AbortController): Promise<void> {
    let job: Job = {...queued, state: 'running', startedAt: new Date().toISOString(), reason: undefined}
    await this.store.put(job)
    await this.event(job.id, 'job.state', {state: 'running'})
    const pending: Promise<unknown>[] = []
    const reporter = (e: DopsEvent) => void pending.push(this.event(job.id, e.type, e))
    const log = (line: string) => void pending.push(this.event(job.id, 'job.log', {line}))
    try {
      const impl = jobKind(job.kind)!
      const r = await impl(this.realParams.get(job.id) ?? job.params, {...this.where, job, reporter, log, stopSignal: stop.signal})
      const state: JobState = stop.signal.aborted ? 'cancelled' : r.exitCode === ExitCode.OK ? 'succeeded' : 'failed'
      job = {...job, state, exitCode: r.exitCode, result: r.result, reason: stop.signal.aborted ? 'cancelled while running' : undefined}
    } catch (e) {
      const err = e as Error & {code?: string; exitCode?: number}
      const known = e instanceof DopsError
      job = {
        ...job,
        state: stop.signal.aborted ? 'cancelled' : 'failed',
        exitCode: known ? err.exitCode : ExitCode.INTERNAL,
        error: {code: known ? String(err.code) : 'INTERNAL', message: err.message},
        ...(known && (e as DopsError).problems.length ? {result: {problems: (e as DopsError).problems}} : {}),
      }
    }
    await Promise.allSettled(pending)
    this.realParams.delete(job.id)
    await this.finish({...job, endedAt: new Date().toISOString()})
  }
}
