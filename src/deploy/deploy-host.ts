/**
 * One host's deployment over its pooled SSH connection: send the revision if the host lacks it, run the driver,
 * keep the log and a history line on the host. Everything that happens is returned as data.
 */
import type {DopsEvent} from '../events.js'
import type {HostResult} from '../fleet/types.js'
import type {Host} from '../inventory/host.js'
import {ConnectError, type Connection, type Transport} from '../transport/types.js'
import type {HostLayout} from './host-layout.js'
import type {PreparedRevision} from './prepare.js'
import {buildDriver, type DriverStep} from './steps/driver.js'
import {CONFLICT_EXIT} from './steps/install-script.js'
import {parseMarker} from './steps/markers.js'
import {buildHasRevision, buildReceiveRevision, CHECKSUM_EXIT} from './steps/upload.js'
import {buildPrune} from './steps/prune.js'
import {curlConfig, currentPullUrl, DOWNLOAD_EXIT, pullReceiveLine, scrubPresigned} from './pull.js'
import {shQuote} from '../transport/remote-command.js'
import {PREVIOUS_REVISION_EVENTS} from './appspec/types.js'

export interface ScriptRun {
  location: string
  rc: number
  ms: number
}

export interface EventRun {
  event: string
  from: 'current' | 'previous'
  status: 'ok' | 'failed' | 'skipped' | 'ignored'
  rc?: number
  reason?: string
  scripts: ScriptRun[]
  /** wall time of the event as seen by dops (integer ms) */
  ms?: number
  /** the event's last lines of output (stdout and stderr as they arrived), at most OUTPUT_TAIL_LINES */
  tail?: string[]
}

/** Lines of each event's output kept for failure messages and `deploy show`. */
export const OUTPUT_TAIL_LINES = 10

export interface DeployHostResult extends HostResult {
  revision: string
  previousRevision?: string
  uploaded: boolean
  events: EventRun[]
  failedEvent?: string
  conflicts: string[]
  /** Install completed: `current` now points to the new revision */
  switched: boolean
  /**
   * The lifecycle started on this host (a script of any event ran, from ApplicationStop on, or Install, or traffic
   * was blocked): it may have stopped the app or removed its files, so a failed deployment rolls it back.
   */
  changed: boolean
  /** a host that did not succeed: the last lines of output of the event that failed (redacted), as deploy prints them */
  outputTail?: string[]
}

export interface DeployHostOptions {
  transport: Transport
  host: Host
  batch: number
  layout: HostLayout
  revision: PreparedRevision
  deploymentId: string
  /** driver runs, in order; between two of them `between(i)` runs (traffic, health gate) and may fail the host */
  phases: DriverStep[][]
  between?: (index: number) => Promise<string | undefined>
  env: Record<string, string>
  ignoreStopFailures?: boolean
  /** revisions kept on the host (default 5) */
  keepReleases?: number
  /** run the driver through sudo (login user is not root) */
  sudo?: boolean
  stream?: boolean
  /** secret values out of what is streamed, returned and kept in the host's log */
  redact?: (s: string) => string
  emit?: (e: DopsEvent) => void
  signal?: AbortSignal
}

/**
 * The lifecycle as driver phases. Without traffic control: one phase. With it: BeforeBlockTraffic | (BlockTraffic)
 * | AfterBlockTraffic .. ValidateService | (health gate) BeforeAllowTraffic | (AllowTraffic) | AfterAllowTraffic.
 */
export function lifecyclePhases(install: string, traffic: boolean): DriverStep[][] {
  const prev = (event: string): DriverStep => ({event, from: 'previous'})
  const cur = (event: string): DriverStep => ({event, from: 'current'})
  const main: DriverStep[] = [prev('ApplicationStop'), cur('BeforeInstall'), {install}, cur('AfterInstall'), cur('ApplicationStart'), cur('ValidateService')]
  if (!traffic) return [main]
  return [[prev('BeforeBlockTraffic')], [prev('AfterBlockTraffic'), ...main], [cur('BeforeAllowTraffic')], [cur('AfterAllowTraffic')]]
}

function deadlineMs(o: DeployHostOptions): number {
  let sec = 600
  for (const [event, scripts] of Object.entries(o.revision.appspec.hooks)) {
    if (o.phases.flat().some((s) => 'event' in s && s.event === event)) sec += (scripts ?? []).reduce((n, s) => n + s.timeoutSec + 5, 0)
  }
  // previous-revision events may have other timeouts: allow the agent's maximum for each
  sec += o.phases.flat().filter((s) => 'event' in s && PREVIOUS_REVISION_EVENTS.includes(s.event as never)).length * 3600
  return sec * 1000
}

export async function deployHost(o: DeployHostOptions): Promise<DeployHostResult> {
  const start = performance.now()
  const h = o.host
  const base: DeployHostResult = {host: h.name, address: h.address, group: h.group, batch: o.batch, status: 'ok', exitCode: null, stdout: '', stderr: '', durationMs: 0, revision: o.revision.id, uploaded: false, events: [], conflicts: [], switched: false, changed: false}
  const done = (r: Partial<DeployHostResult>): DeployHostResult => ({...base, ...r, durationMs: performance.now() - start})
  let conn: Connection
  try {
    conn = await o.transport.connect(h)
  } catch (e) {
    const err = e as Error
    return done({status: 'unreachable', error: err.message, errorKind: e instanceof ConnectError ? e.kind : 'unreachable'})
  }
  try {
    const staged = await stageRevision(conn, o.layout, o.revision, {sudo: o.sudo, signal: o.signal})
    if (staged.error) return done({status: 'failed', exitCode: staged.exitCode ?? null, stderr: staged.stderr ?? '', error: staged.error})
    base.uploaded = staged.uploaded
    const events: EventRun[] = []
    const conflicts: string[] = []
    let previous: string | undefined
    let switched = false
    const log: string[] = []
    let eventStart = 0
    let running: EventRun | undefined
    const onLine = (stream: 'stdout' | 'stderr', line: string) => {
      const m = stream === 'stdout' ? parseMarker(line) : undefined
      const cur = events[events.length - 1]
      if (!m) {
        const shown = o.redact ? o.redact(line) : line
        log.push(`${new Date().toISOString()} [${stream}] ${shown}`)
        // the event that printed it: the last one started (stderr may arrive after its end marker)
        if (running) running.tail = [...(running.tail ?? []), shown].slice(-OUTPUT_TAIL_LINES)
        if (o.stream) o.emit?.({type: 'host.output', host: h.name, stream, line: shown})
        return
      }
      switch (m.kind) {
        case 'previous':
          previous ??= m.revision
          break
        case 'event-start':
          running = {event: m.event, from: m.from, status: 'ok', scripts: []}
          events.push(running)
          eventStart = performance.now()
          o.emit?.({type: 'deploy.event', host: h.name, event: m.event, state: 'start'})
          log.push(`${new Date().toISOString()} LifecycleEvent - ${m.event}${m.from === 'previous' ? ` (previous revision ${previous})` : ''}`)
          break
        case 'event-skip':
          events.push({event: m.event, from: 'current', status: 'skipped', reason: m.reason, scripts: []})
          break
        case 'script-start':
          log.push(`${new Date().toISOString()} Script - ${m.location}`)
          break
        case 'script-end':
          cur?.scripts.push({location: m.location, rc: m.rc, ms: m.ms})
          break
        case 'event-end':
          if (cur) {
            cur.rc = m.rc
            cur.status = m.rc === 0 ? 'ok' : 'failed'
            cur.ms = Math.round(performance.now() - eventStart)
            o.emit?.({type: 'deploy.event', host: h.name, event: m.event, state: 'end', ok: m.rc === 0, ms: cur.ms})
            if (m.event === 'Install' && m.rc === 0) switched = true
          }
          break
        case 'ignored':
          if (cur) cur.status = 'ignored'
          break
        case 'conflict':
          conflicts.push(m.path)
          break
        default:
          break
      }
    }
    const partial = {stdout: '', stderr: ''}
    const collected = {stdout: '', stderr: ''}
    let res = {exitCode: 0 as number | null, deadlineExceeded: false, outputLeftOpen: false}
    let betweenError: string | undefined
    let trafficTouched = false
    for (const [i, steps] of o.phases.entries()) {
      const r = await conn.exec(o.sudo ? 'sudo -n sh -s' : 'sh -s', {
        stdin: buildDriver({layout: o.layout, revision: o.revision.id, env: o.env, steps, ignoreStopFailures: o.ignoreStopFailures}),
        deadlineMs: deadlineMs(o),
        signal: o.signal,
        onOutput: (stream, chunk) => {
          const lines = (partial[stream] + chunk).split('\n')
          partial[stream] = lines.pop() ?? ''
          for (const l of lines) onLine(stream, l)
        },
      })
      for (const s of ['stdout', 'stderr'] as const) {
        if (partial[s]) onLine(s, partial[s])
        partial[s] = ''
      }
      collected.stdout += r.stdout
      collected.stderr += r.stderr
      res = {exitCode: r.exitCode, deadlineExceeded: r.deadlineExceeded, outputLeftOpen: res.outputLeftOpen || r.outputLeftOpen}
      if (r.exitCode !== 0 || r.deadlineExceeded) break
      if (i < o.phases.length - 1 && o.between) {
        trafficTouched = true
        betweenError = await o.between(i)
        if (betweenError) break
      }
    }
    const failed = events.find((e) => e.status === 'failed')
    const out = {exitCode: res.exitCode, stdout: collected.stdout.split('\n').filter((l) => !parseMarker(l)).join('\n'), stderr: collected.stderr, events, conflicts, previousRevision: previous === o.revision.id ? undefined : previous, switched, changed: switched || trafficTouched || events.some((e) => e.status !== 'skipped' && !(e.event === 'Install' && e.rc === CONFLICT_EXIT))}
    let result: DeployHostResult
    if (betweenError) result = done({...out, status: 'failed', errorKind: 'gate', error: betweenError})
    else if (res.exitCode === 0 && !res.deadlineExceeded) result = done({...out, status: 'ok', warning: res.outputLeftOpen ? 'a hook left a background process holding its output; dops closed the session (redirect it: cmd >/dev/null 2>&1 &)' : undefined})
    else result = done({...out, status: res.deadlineExceeded ? 'timedout' : 'failed', failedEvent: failed?.event, errorKind: conflicts.length ? 'conflict' : 'hook', error: describeFailure(failed, res.exitCode, conflicts, previous, res.deadlineExceeded, o)})
    // the log and a history line stay on the host
    const history = JSON.stringify({deployment: o.deploymentId, revision: o.revision.id, previous: result.previousRevision ?? null, status: result.status, failedEvent: result.failedEvent ?? null, at: new Date().toISOString()})
    // the log holds hook output: readable by root (the deploying user) only
    const logFile = shQuote(o.layout.log(o.deploymentId))
    const finish = [`umask 077; mkdir -p ${shQuote(o.layout.root + '/logs')}`, `chmod 700 ${shQuote(o.layout.root + '/logs')}`, `cat >> ${logFile}`, `chmod 600 ${logFile}`, 'umask 022', `printf '%s\\n' ${shQuote(history)} >> ${shQuote(o.layout.history)}`, buildPrune(o.layout, o.revision.id, o.keepReleases ?? 5)].join('\n')
    await conn.exec(o.sudo ? `sudo -n sh -c ${shQuote(finish)}` : finish, {stdin: log.join('\n') + '\n'}).catch(() => undefined)
    return result
  } catch (e) {
    const err = e as Error
    return done({status: 'unreachable', error: `the connection was lost: ${err.message}`, errorKind: 'unreachable'})
  }
}

/**
 * Make sure the host has the revision: nothing is sent when it is already there. Used before a rollout for every
 * host at once (so a serial rollout only runs hooks) and again, as a cheap check, by each host's deployment.
 */
export async function stageRevision(conn: Connection, layout: HostLayout, rev: PreparedRevision, opts: {sudo?: boolean; signal?: AbortSignal} = {}): Promise<{uploaded: boolean; error?: string; exitCode?: number | null; stderr?: string}> {
  const wrap = (cmd: string) => (opts.sudo ? `sudo -n sh -c ${shQuote(cmd)}` : cmd)
  const has = await conn.exec(wrap(buildHasRevision(layout, rev.id)))
  if (has.exitCode !== 0) return {uploaded: false, exitCode: has.exitCode, stderr: has.stderr, error: `cannot inspect ${layout.root}: ${has.stderr.trim() || `exit ${has.exitCode}`}`}
  if (has.stdout.trim() === 'have') return {uploaded: false}
  // distribution: pull: the host downloads the bundle itself, the pre-signed URL on curl's stdin
  const url = rev.pull && (await currentPullUrl(rev.pull))
  const up = await conn.exec(wrap(buildReceiveRevision(layout, rev.id, rev.sha256, rev.hookScripts, rev.pull && pullReceiveLine(rev.pull.timeoutSec))), {stdin: url ? curlConfig(url) : rev.bundle, signal: opts.signal})
  const stderr = scrubPresigned(up.stderr, url)
  if (up.exitCode !== 0) return {uploaded: false, exitCode: up.exitCode, stderr, error: receiveError(up.exitCode, stderr, !!rev.pull)}
  return {uploaded: true}
}

function receiveError(rc: number | null, stderr: string, pulled: boolean): string {
  if (rc === CHECKSUM_EXIT) return pulled ? 'the revision downloaded from the store is damaged (sha256 mismatch); nothing was installed' : 'the revision arrived damaged (sha256 mismatch)'
  if (rc === DOWNLOAD_EXIT) return `the host could not download the revision from the store: ${stderr.trim().split('\n').slice(-2).join('; ')}`
  return `cannot unpack the revision: ${stderr.trim() || `exit ${rc}`}`
}

function describeFailure(failed: EventRun | undefined, rc: number | null, conflicts: string[], previous: string | undefined, deadline: boolean, o: DeployHostOptions): string {
  if (deadline) return 'the deployment did not finish before its deadline; the session was closed'
  if (conflicts.length) return `Install refused: ${conflicts.length} file(s) already exist and were not installed by the previous deployment (file_exists_behavior DISALLOW): ${conflicts.slice(0, 3).join(', ')}${conflicts.length > 3 ? ', …' : ''}; nothing was changed`
  if (!failed) return rc === null ? 'the driver was killed' : `the deployment failed with exit code ${rc}`
  const script = failed.scripts.find((s) => s.rc !== 0)
  const hook = failed.event === 'Install' ? undefined : (o.revision.appspec.hooks[failed.event as keyof typeof o.revision.appspec.hooks] ?? []).find((s) => s.location === script?.location)
  const what = script ? `script ${script.location} ${script.rc === 124 || script.rc === 137 ? `timed out after ${hook?.timeoutSec ?? '?'}s (its process group was killed)` : script.rc === 1 && script.ms === 0 ? 'does not exist' : `failed with exit code ${script.rc}`}` : `exit code ${failed.rc}`
  if (failed.from === 'previous') return `${failed.event} of the previous revision (${previous}) failed: ${what}. It is the previous revision's script that failed; deploy with --ignore-application-stop-failures to go on`
  return `${failed.event} failed: ${what}`
}
