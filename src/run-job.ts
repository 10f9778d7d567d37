/**
 * `dops run` as a library call: resolve and select hosts (or take them from a journal to retry), connect, run,
 * write the journal. The result is the command's JSON contract.
 */
import {readFile} from 'node:fs/promises'
import path from 'node:path'
import {DopsError, ExitCode, InvalidInputError} from './errors.js'
import type {Reporter} from './events.js'
import type {BatchSpec} from './fleet/batches.js'
import {planBatches, failureBudget} from './fleet/batches.js'
import {exitCodeFor} from './fleet/exit-code.js'
import {hostsToRetry, newRunId, readJournal, writeJournal, type RunJournal} from './fleet/journal.js'
import {assertReplayable, recordHost, recordSpec, replayHost, replaySpec} from './fleet/journal-spec.js'
import {hostEnv} from './fleet/host-env.js'
import {runFleet, type RunSpec} from './fleet/run.js'
import type {Selection} from './fleet/select.js'
import type {Host} from './inventory/host.js'
import type {CountOrPercent, SshSettings} from './plan/types.js'
import {resolveTargets, selectTargets, type TargetSource} from './targets.js'
import {createSshTransport, type TransportSettings} from './transport/factory.js'
import {parseDuration} from './util/duration.js'
import {makeRedactor} from './util/redact.js'

export interface RunJobParams {
  source: TargetSource
  selection: Selection
  connection: Omit<TransportSettings, 'projectDir' | 'planSsh' | 'onHostKeyLearned'>
  command?: string
  scriptFile?: string
  args?: string[]
  sudo?: boolean
  runAs?: string
  timeout?: string
  batch?: BatchSpec
  maxFailures?: CountOrPercent
  concurrency?: number
  pause?: string
  stream?: boolean
  /** more environment variables for the command or script on each host (a recovery's alert labels) */
  env?: Record<string, string>
  /** run again on the failed/unreached hosts of this run ('' = the latest) */
  retryFailed?: string
  reporter?: Reporter
  stopSignal?: AbortSignal
  abortSignal?: AbortSignal
}

function checkOptions(p: RunJobParams, hostCount: number): void {
  try {
    planBatches(Math.max(1, hostCount), p.batch)
    failureBudget(Math.max(1, hostCount), p.maxFailures)
    if (p.timeout !== undefined) parseDuration(p.timeout)
    if (p.pause !== undefined) parseDuration(p.pause)
  } catch (e) {
    throw new InvalidInputError((e as Error).message)
  }
}

interface PreparedRun {
  hosts: Host[]
  projectDir: string
  spec: RunSpec
  secrets: string[]
  /** each secret's source, for the journal's templates */
  secretRefs: Map<string, string>
  retryOf?: string
  planSsh?: SshSettings
  /** the plan's project, DOPS_PROJECT on the hosts */
  project?: string
}

/** Hosts, the command and the options of a run, checked; nothing connects yet. */
async function prepareRun(p: RunJobParams): Promise<PreparedRun> {
  let hosts: Host[]
  let projectDir: string
  let spec: RunSpec
  let secrets: string[] = []
  let secretRefs = new Map<string, string>()
  let retryOf: string | undefined
  let planSsh: SshSettings | undefined
  let project: string | undefined
  if (p.retryFailed !== undefined) {
    projectDir = p.source.planFile ? path.dirname(path.resolve(p.source.cwd, p.source.planFile)) : p.source.cwd
    const prev = await readJournal(projectDir, p.retryFailed || undefined)
    retryOf = prev.runId
    const refs = new Map<string, string>()
    hosts = hostsToRetry(prev).map((h) => replayHost(prev.runId, h, p.source.processEnv ?? process.env, refs))
    if (p.command || p.scriptFile) throw new InvalidInputError('--retry-failed reruns the recorded command; do not give a new one')
    assertReplayable(prev.runId, prev.version, prev.spec)
    const replay = replaySpec(prev.runId, prev.spec, p.source.processEnv ?? process.env, refs)
    spec = replay.spec
    secretRefs = replay.refs
    secrets = [...replay.refs.keys()]
    if (!hosts.length) throw new DopsError('NOTHING_TO_RETRY', `run ${prev.runId}: every host succeeded; nothing to retry`, {exitCode: ExitCode.NOTHING_TO_DO})
    Object.assign(p, {batch: p.batch ?? (prev.options.batch as BatchSpec | undefined), maxFailures: p.maxFailures ?? prev.options.maxFailures, concurrency: p.concurrency ?? prev.options.concurrency})
    // the plan's ssh defaults (ssh_config file, known_hosts, ...) as the first run had them
    planSsh = prev.options.planSsh as SshSettings | undefined
    project = typeof prev.options.project === 'string' ? prev.options.project : undefined
    p.connection = {...(prev.options.connection as RunJobParams['connection']), ...Object.fromEntries(Object.entries(p.connection).filter(([, v]) => v !== undefined))}
  } else {
    const t = await resolveTargets(p.source)
    projectDir = t.projectDir
    secrets = t.secrets
    secretRefs = t.loaded?.secretRefs ?? new Map()
    planSsh = t.loaded?.plan.ssh
    project = t.loaded?.plan.project
    hosts = selectTargets(t, p.selection)
    if (p.scriptFile) {
      const file = path.resolve(p.source.cwd, p.scriptFile)
      const content = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
        throw new InvalidInputError(`cannot read script ${file}: ${e.code ?? e.message}`)
      })
      spec = {script: {path: file, content}, args: p.args}
    } else {
      if (!p.command?.trim()) throw new InvalidInputError('nothing to run: give a command after `--` (dops run -g web -- uptime) or --script FILE')
      spec = {command: p.command}
    }
    spec.sudo = p.sudo
    spec.runAs = p.runAs
    if (p.env) spec.env = {...spec.env, ...p.env}
  }
  // plan defaults for what the command line leaves unset
  p.timeout ??= planSsh?.commandTimeout === undefined ? undefined : String(planSsh.commandTimeout)
  p.concurrency ??= planSsh?.concurrency
  checkOptions(p, hosts.length)
  if (p.timeout !== undefined) spec.timeoutSec = (parseDuration(p.timeout) ?? 0) / 1000
  return {hosts, projectDir, spec, secrets, secretRefs, retryOf, planSsh, project}
}

/** What `dops run --dry-run` shows: the hosts of each batch and the budget; nothing connects, nothing is recorded. */
export interface RunPreview {
  dryRun: true
  retryOf?: string
  command?: string
  script?: string
  args?: string[]
  sudo?: boolean
  runAs?: string
  timeoutSec?: number
  concurrency?: number
  /** failures the run absorbs before it stops (none: every host is attempted) */
  failureBudget?: number
  total: number
  batches: Array<{batch: number; hosts: Array<{host: string; address: string; group: string}>}>
}

export async function previewRun(p: RunJobParams): Promise<RunPreview> {
  const {hosts, spec, secrets, retryOf} = await prepareRun(p)
  const redact = makeRedactor(secrets)
  let offset = 0
  const batches = planBatches(hosts.length, p.batch).map((size, i) => {
    const batch = hosts.slice(offset, (offset += size))
    return {batch: i + 1, hosts: batch.map((h) => ({host: h.name, address: h.address, group: h.group}))}
  })
  return {
    dryRun: true,
    retryOf,
    command: spec.command === undefined ? undefined : redact(spec.command),
    script: spec.script?.path,
    args: spec.args?.map(redact),
    sudo: spec.sudo,
    runAs: spec.runAs,
    timeoutSec: spec.timeoutSec,
    concurrency: p.concurrency,
    failureBudget: failureBudget(hosts.length, p.maxFailures),
    total: hosts.length,
    batches,
  }
}

export async function runJob(p: RunJobParams): Promise<RunJournal> {
  const {hosts, projectDir, spec, secrets, secretRefs, retryOf, planSsh, project} = await prepareRun(p)
  const redact = makeRedactor(secrets)
  const runId = newRunId()
  const transport = createSshTransport({
    ...p.connection,
    projectDir,
    planSsh,
    onHostKeyLearned: (host, fingerprint, file) => p.reporter?.({type: 'hostkey.learned', host, fingerprint, file}),
  })
  const started = new Date()
  const t0 = performance.now()
  try {
    const outcome = await runFleet({
      hosts,
      transport,
      spec,
      batch: p.batch,
      maxFailures: p.maxFailures,
      concurrency: p.concurrency,
      pauseMs: parseDuration(p.pause),
      stream: p.stream,
      reporter: p.reporter,
      stopSignal: p.stopSignal,
      abortSignal: p.abortSignal,
      // the host's variables and DOPS_*: values holding a secret reach the host on stdin
      hostEnv: (h) => hostEnv(h, {project, address: transport.target(h).address}),
      secrets,
      runId,
    })
    const journal: RunJournal = {
      version: 2,
      runId,
      retryOf,
      startedAt: started.toISOString(),
      durationMs: Math.round(performance.now() - t0),
      exitCode: exitCodeFor(outcome),
      // what is shown stays redacted; a retry rebuilds the exact command from the secrets' sources (journal-spec.ts)
      spec: recordSpec(spec, redact, secretRefs),
      options: {batch: p.batch, maxFailures: p.maxFailures, concurrency: p.concurrency, connection: p.connection, planSsh, project},
      // hosts may hold secrets from ${env:..}: redacted, with templates for what a retry connects with
      hosts: hosts.map((h) => recordHost(h, redact, secretRefs)),
      ...outcome,
    }
    await writeJournal(projectDir, journal)
    return journal
  } finally {
    await transport.close()
  }
}
