/**
 * Run a command or script on many hosts: rolling batches, a concurrency limit, a failure budget counted over the
 * whole run (unreachable and timed-out hosts count), graceful stop. Every host ends as a HostResult.
 */
import type {DopsEvent, Reporter} from '../events.js'
import type {Host} from '../inventory/host.js'
import type {CountOrPercent} from '../plan/types.js'
import {buildRemoteCommand, TIMEOUT_EXIT_CODES, type CommandSpec} from '../transport/remote-command.js'
import {ConnectError, type Transport} from '../transport/types.js'
import {Semaphore} from '../util/semaphore.js'
import {failureBudget, planBatches, type BatchSpec} from './batches.js'
import type {HostResult, RunSummary} from './types.js'

export interface RunSpec {
  command?: string
  /** a local script's text, uploaded on stdin and executed */
  script?: {path: string; content: string}
  args?: string[]
  sudo?: boolean
  runAs?: string
  timeoutSec?: number
  env?: Record<string, string>
}

export interface RunFleetOptions {
  hosts: Host[]
  transport: Transport
  spec: RunSpec
  batch?: BatchSpec
  maxFailures?: CountOrPercent
  concurrency?: number
  pauseMs?: number
  /** emit `host.output` line events (stream mode) */
  stream?: boolean
  reporter?: Reporter
  /** graceful stop: no new host starts; in-flight hosts finish */
  stopSignal?: AbortSignal
  /** hard stop: in-flight commands are killed */
  abortSignal?: AbortSignal
  /** applied to every output kept or reported (secret values from the plan) */
  redact?: (s: string) => string
  runId?: string
}

export interface RunOutcome {
  results: HostResult[]
  summary: RunSummary
  batches: number[]
  stopped?: {reason: 'budget' | 'interrupted'; message: string}
}

export function summarize(results: HostResult[]): RunSummary {
  const s: RunSummary = {total: results.length, ok: 0, failed: 0, unreachable: 0, timedout: 0, skipped: 0}
  for (const r of results) s[r.status]++
  return s
}

export async function runFleet(o: RunFleetOptions): Promise<RunOutcome> {
  const report: Reporter = o.reporter ?? (() => {})
  const redact = o.redact ?? ((s: string) => s)
  const emit = (e: DopsEvent) => report(e)
  const command = buildRemoteCommand(toCommandSpec(o.spec))
  const stdin = o.spec.script?.content
  const batches = planBatches(o.hosts.length, o.batch)
  const budget = failureBudget(o.hosts.length, o.maxFailures)
  const results = new Map<string, HostResult>()
  let failures = 0
  let stopped: RunOutcome['stopped']
  const stop = (reason: 'budget' | 'interrupted', message: string) => {
    if (stopped) return
    stopped = {reason, message}
    emit({type: 'run.stopped', reason, message})
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
      for (const h of batchHosts) results.set(h.name, skipped(h, bi + 1, stopped.reason))
      continue
    }
    emit({type: 'batch.start', index: bi + 1, total: batches.length, hosts: batchHosts.map((h) => h.name)})
    const limit = new Semaphore(o.concurrency ?? Math.max(1, batchHosts.length))
    await Promise.all(
      batchHosts.map((h) =>
        limit.use(async () => {
          if (stopped) {
            results.set(h.name, skipped(h, bi + 1, stopped.reason))
            return
          }
          const r = await runOnHost(h, bi + 1, command, stdin, o, redact, emit)
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
    if (o.pauseMs && bi < batches.length - 1 && !stopped) await sleep(o.pauseMs, o.stopSignal)
  }
  o.stopSignal?.removeEventListener('abort', onStop)
  const ordered = o.hosts.map((h) => results.get(h.name)!).filter(Boolean)
  return {results: ordered, summary: summarize(ordered), batches, stopped}
}

function toCommandSpec(spec: RunSpec): CommandSpec {
  return {command: spec.command, script: !!spec.script, args: spec.args, sudo: spec.sudo, runAs: spec.runAs, timeoutSec: spec.timeoutSec, env: spec.env}
}

function skipped(h: Host, batch: number, reason: 'budget' | 'interrupted'): HostResult {
  return {host: h.name, address: h.address, group: h.group, status: 'skipped', exitCode: null, stdout: '', stderr: '', durationMs: 0, batch, errorKind: reason, error: reason === 'budget' ? 'not started: the failure budget was exceeded' : 'not started: the run was interrupted'}
}

async function runOnHost(h: Host, batch: number, command: string, stdin: string | undefined, o: RunFleetOptions, redact: (s: string) => string, emit: (e: DopsEvent) => void): Promise<HostResult> {
  const start = performance.now()
  const base = {host: h.name, address: h.address, group: h.group, batch}
  const lineBuf = {stdout: '', stderr: ''}
  const onOutput = o.stream
    ? (stream: 'stdout' | 'stderr', chunk: string) => {
        const lines = (lineBuf[stream] + chunk).split('\n')
        lineBuf[stream] = lines.pop() ?? ''
        for (const line of lines) emit({type: 'host.output', host: h.name, stream, line: redact(line)})
      }
    : undefined
  try {
    const conn = await o.transport.connect(h)
    const timeoutMs = o.spec.timeoutSec !== undefined ? o.spec.timeoutSec * 1000 : undefined
    const res = await conn.exec(command, {stdin, onOutput, signal: o.abortSignal, deadlineMs: timeoutMs !== undefined ? timeoutMs + 8000 : undefined})
    if (onOutput) for (const s of ['stdout', 'stderr'] as const) if (lineBuf[s]) emit({type: 'host.output', host: h.name, stream: s, line: redact(lineBuf[s])})
    const durationMs = performance.now() - start
    const timedOut = res.deadlineExceeded || (timeoutMs !== undefined && res.exitCode !== null && TIMEOUT_EXIT_CODES.includes(res.exitCode) && durationMs >= timeoutMs - 250)
    const common = {...base, exitCode: res.exitCode, stdout: redact(res.stdout), stderr: redact(res.stderr), durationMs}
    const warning = [res.outputLeftOpen ? 'the command exited but a process it started kept stdout/stderr open; dops closed the session (redirect background processes: cmd >/dev/null 2>&1 &)' : '', res.truncated ? 'output over 1 MiB per stream was dropped from the result' : ''].filter(Boolean).join('; ') || undefined
    if (o.abortSignal?.aborted) return {...common, status: 'failed', errorKind: 'interrupted', error: 'interrupted: the command was killed', warning}
    if (timedOut) return {...common, status: 'timedout', errorKind: 'timeout', error: `timed out after ${o.spec.timeoutSec}s; the remote process group was killed`, warning}
    if (res.exitCode === 0) return {...common, status: 'ok', warning}
    const why = res.exitCode === null ? `killed by signal ${res.signal ?? 'unknown'}` : `exit code ${res.exitCode}`
    return {...common, status: 'failed', error: why, warning}
  } catch (e) {
    const durationMs = performance.now() - start
    if (e instanceof ConnectError) return {...base, status: 'unreachable', exitCode: null, stdout: '', stderr: '', durationMs, error: redact(e.message), errorKind: e.kind}
    return {...base, status: 'unreachable', exitCode: null, stdout: '', stderr: '', durationMs, error: redact((e as Error).message ?? String(e)), errorKind: 'unreachable'}
  }
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
