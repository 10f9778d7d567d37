/**
 * The rolling scheduler shared by `dops run` and deployments: batches, a concurrency limit, a failure budget counted
 * over the whole run, an optional gate after each batch, graceful stop. Work on a host is a function returning its
 * result; the scheduler never throws for a host.
 */
import type {DopsEvent, Reporter} from '../events.js'
import type {Host} from '../inventory/host.js'
import type {CountOrPercent} from '../plan/types.js'
import {Semaphore} from '../util/semaphore.js'
import {failureBudget, planBatches, type BatchSpec} from './batches.js'
import type {HostResult, RunSummary} from './types.js'

export interface ScheduleOptions<R extends HostResult> {
  hosts: Host[]
  work: (host: Host, batch: number) => Promise<R>
  batch?: BatchSpec
  /** explicit batch sizes (overrides `batch`) */
  batchSizes?: number[]
  maxFailures?: CountOrPercent
  concurrency?: number
  pauseMs?: number
  /** after each batch: return a reason to stop the rollout, or undefined to go on */
  afterBatch?: (index: number, results: R[]) => Promise<string | undefined>
  reporter?: Reporter
  stopSignal?: AbortSignal
  runId?: string
  skipped: (host: Host, batch: number, reason: 'budget' | 'interrupted' | 'gate') => R
}

export interface ScheduleOutcome<R extends HostResult> {
  results: R[]
  summary: RunSummary
  batches: number[]
  stopped?: {reason: 'budget' | 'interrupted' | 'gate'; message: string}
}

export function summarize(results: HostResult[]): RunSummary {
  const s: RunSummary = {total: results.length, ok: 0, failed: 0, unreachable: 0, timedout: 0, skipped: 0}
  for (const r of results) s[r.status]++
  return s
}

export async function schedule<R extends HostResult>(o: ScheduleOptions<R>): Promise<ScheduleOutcome<R>> {
  const emit = (e: DopsEvent) => o.reporter?.(e)
  const batches = o.batchSizes ?? planBatches(o.hosts.length, o.batch)
  const budget = failureBudget(o.hosts.length, o.maxFailures)
  const results = new Map<string, R>()
  let failures = 0
  let stopped: ScheduleOutcome<R>['stopped']
  const stop = (reason: 'budget' | 'interrupted' | 'gate', message: string) => {
    if (stopped) return
    stopped = {reason, message}
    emit({type: 'run.stopped', reason: reason === 'interrupted' ? 'interrupted' : 'budget', message})
  }
  const onStop = () => stop('interrupted', 'interrupted: no new host started; in-flight hosts were allowed to finish')
  o.stopSignal?.addEventListener('abort', onStop, {once: true})
  if (o.stopSignal?.aborted) onStop()
  emit({type: 'run.start', runId: o.runId ?? '', hosts: o.hosts.length, batches})

  let offset = 0
  for (const [bi, size] of batches.entries()) {
    const batchHosts = o.hosts.slice(offset, offset + size)
    offset += size
    if (stopped) {
      for (const h of batchHosts) results.set(h.name, o.skipped(h, bi + 1, stopped.reason))
      continue
    }
    emit({type: 'batch.start', index: bi + 1, total: batches.length, hosts: batchHosts.map((h) => h.name)})
    const limit = new Semaphore(o.concurrency ?? Math.max(1, batchHosts.length))
    await Promise.all(
      batchHosts.map((h) =>
        limit.use(async () => {
          if (stopped) {
            results.set(h.name, o.skipped(h, bi + 1, stopped.reason))
            return
          }
          const r = await o.work(h, bi + 1)
          results.set(h.name, r)
          emit({type: 'host.end', result: r})
          if (r.status !== 'ok') {
            failures++
            if (budget !== undefined && failures > budget) stop('budget', `failure budget exceeded: ${failures} host(s) failed, the budget allows ${budget}; no new host started`)
          }
        }),
      ),
    )
    const batchResults = batchHosts.map((h) => results.get(h.name)!)
    emit({type: 'batch.end', index: bi + 1, ok: batchResults.filter((r) => r.status === 'ok').length, failed: batchResults.filter((r) => r.status !== 'ok' && r.status !== 'skipped').length})
    if (!stopped && o.afterBatch && bi < batches.length - 1) {
      const why = await o.afterBatch(bi + 1, batchResults)
      if (why) stop('gate', why)
    }
    if (o.pauseMs && bi < batches.length - 1 && !stopped) await sleep(o.pauseMs, o.stopSignal)
  }
  o.stopSignal?.removeEventListener('abort', onStop)
  const ordered = o.hosts.map((h) => results.get(h.name)!).filter(Boolean)
  return {results: ordered, summary: summarize(ordered), batches, stopped}
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms)
    signal?.addEventListener('abort', () => {
      clearTimeout(t)
      resolve()
    }, {once: true})
  })
}
