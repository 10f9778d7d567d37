/**
 * Run a command or script on many hosts: rolling batches, a concurrency limit, a failure budget counted over the
 * whole run (unreachable and timed-out hosts count), graceful stop. Every host ends as a HostResult.
 */
import type {DopsEvent, Reporter} from '../events.js'
import type {Host} from '../inventory/host.js'
import type {CountOrPercent} from '../plan/types.js'
import {buildRemoteExec, TIMEOUT_EXIT_CODES, type CommandSpec} from '../transport/remote-command.js'
import {ConnectError, type Transport} from '../transport/types.js'
import {makeRedactor, StreamRedactor} from '../util/redact.js'
import type {BatchSpec} from './batches.js'
import {schedule, summarize} from './schedule.js'
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
  /** environment per host (`hostEnv` of host-env.ts: the host's variables and DOPS_*); sent on stdin, as `spec.env` is */
  hostEnv?: (host: Host) => Record<string, string>
  /** secret values from the plan: redacted from every output kept or reported, streamed lines included */
  secrets?: string[]
  runId?: string
}

export interface RunOutcome {
  results: HostResult[]
  summary: RunSummary
  batches: number[]
  stopped?: {reason: 'budget' | 'interrupted' | 'gate'; message: string}
}

export {summarize}

export async function runFleet(o: RunFleetOptions): Promise<RunOutcome> {
  const redact = makeRedactor(o.secrets ?? [])
  const emit = (e: DopsEvent) => o.reporter?.(e)
  // the whole environment reaches the host on stdin, read by the shell after sudo: no value is on a command line
  // (a secret, or a password an inventory holds in plain text)
  const exec = (env: Record<string, string> | undefined) => buildRemoteExec({...toCommandSpec(o.spec), stdinEnv: env}, o.spec.script?.content)
  const shared = exec(o.spec.env)
  return schedule({
    hosts: o.hosts,
    work: (h, batch) => {
      const e = o.hostEnv ? exec({...o.spec.env, ...o.hostEnv(h)}) : shared
      return runOnHost(h, batch, e.command, e.stdin, o, redact, emit)
    },
    batch: o.batch,
    maxFailures: o.maxFailures,
    concurrency: o.concurrency,
    pauseMs: o.pauseMs,
    reporter: o.reporter,
    stopSignal: o.stopSignal,
    runId: o.runId,
    skipped,
  })
}

function toCommandSpec(spec: RunSpec): CommandSpec {
  return {command: spec.command, script: !!spec.script, args: spec.args, sudo: spec.sudo, runAs: spec.runAs, timeoutSec: spec.timeoutSec}
}

export function skipped(h: Host, batch: number, reason: 'budget' | 'interrupted' | 'gate'): HostResult {
  const why = {budget: 'the failure budget was exceeded', interrupted: 'the run was interrupted', gate: 'a health gate failed'}[reason]
  return {host: h.name, address: h.address, group: h.group, status: 'skipped', exitCode: null, stdout: '', stderr: '', durationMs: 0, batch, errorKind: reason, error: `not started: ${why}`}
}

async function runOnHost(h: Host, batch: number, command: string, stdin: string | undefined, o: RunFleetOptions, redact: (s: string) => string, emit: (e: DopsEvent) => void): Promise<HostResult> {
  const start = performance.now()
  const base = {host: h.name, address: redact(h.address), group: h.group, batch}
  const lineBuf = {stdout: '', stderr: ''}
  // redacted before it is cut into lines: a secret split over chunks or spanning lines is still found
  const redactors = {stdout: new StreamRedactor(o.secrets ?? []), stderr: new StreamRedactor(o.secrets ?? [])}
  const onOutput = o.stream
    ? (stream: 'stdout' | 'stderr', chunk: string) => {
        const lines = (lineBuf[stream] + redactors[stream].push(chunk)).split('\n')
        lineBuf[stream] = lines.pop() ?? ''
        for (const line of lines) emit({type: 'host.output', host: h.name, stream, line})
      }
    : undefined
  try {
    const conn = await o.transport.connect(h)
    const timeoutMs = o.spec.timeoutSec !== undefined ? o.spec.timeoutSec * 1000 : undefined
    const res = await conn.exec(command, {stdin, onOutput, signal: o.abortSignal, deadlineMs: timeoutMs !== undefined ? timeoutMs + 8000 : undefined})
    if (onOutput)
      for (const s of ['stdout', 'stderr'] as const) {
        const rest = (lineBuf[s] + redactors[s].end()).split('\n')
        if (rest[rest.length - 1] === '') rest.pop()
        for (const line of rest) emit({type: 'host.output', host: h.name, stream: s, line})
      }
    const durationMs = Math.round(performance.now() - start)
    const timedOut = res.deadlineExceeded || (timeoutMs !== undefined && res.exitCode !== null && TIMEOUT_EXIT_CODES.includes(res.exitCode) && durationMs >= timeoutMs - 250)
    const common = {...base, exitCode: res.exitCode, stdout: redact(res.stdout), stderr: redact(res.stderr), durationMs}
    const warning = [res.outputLeftOpen ? 'the command exited but a process it started kept stdout/stderr open; dops closed the session (redirect background processes: cmd >/dev/null 2>&1 &)' : '', res.truncated ? 'output over 1 MiB per stream was dropped from the result' : ''].filter(Boolean).join('; ') || undefined
    if (o.abortSignal?.aborted) return {...common, status: 'failed', errorKind: 'interrupted', error: 'interrupted: the command was killed', warning}
    if (timedOut) return {...common, status: 'timedout', errorKind: 'timeout', error: `timed out after ${o.spec.timeoutSec}s; the remote process group was killed`, warning}
    if (res.exitCode === 0) return {...common, status: 'ok', warning}
    if (res.connectionLost) return {...common, status: 'failed', errorKind: 'connection-lost', error: redact(`connection to ${h.name} (${h.address}) lost before the command finished; it may have run in part`), warning}
    const why = res.exitCode === null ? `killed by signal ${res.signal ?? 'unknown'}` : `exit code ${res.exitCode}`
    return {...common, status: 'failed', error: why, warning}
  } catch (e) {
    const durationMs = Math.round(performance.now() - start)
    if (e instanceof ConnectError) return {...base, status: 'unreachable', exitCode: null, stdout: '', stderr: '', durationMs, error: redact(e.message), errorKind: e.kind}
    return {...base, status: 'unreachable', exitCode: null, stdout: '', stderr: '', durationMs, error: redact((e as Error).message ?? String(e)), errorKind: 'unreachable'}
  }
}
