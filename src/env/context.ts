/** What every env command works with: the plan's environment, its groups in dependency order, and its state. */
import {readFileSync} from 'node:fs'
import path from 'node:path'
import {DopsError, ExitCode, InvalidInputError} from '../errors.js'
import type {HostResult} from '../fleet/types.js'
import type {RunSpec} from '../fleet/run.js'
import type {GroupSpec, LoadedPlan, ScriptSpec} from '../plan/types.js'
import {getProvider, registerProvider} from '../providers/registry.js'
import type {Provider, ProviderContext} from '../providers/types.js'
import {openState} from '../state/backend.js'
import {followMembership, labelsFrom} from '../monitor/sync.js'
import {resolveTargets, type ResolvedTargets} from '../targets.js'
import {parseDuration} from '../util/duration.js'
import {makeRedactor} from '../util/redact.js'
import {dependencyOrder} from './order.js'
import {followResources, resourceScope} from './steps/resources.js'
import type {EnvParams, EnvReport, HostRun, Phases} from './types.js'

export interface EnvContext {
  p: EnvParams
  t: ResolvedTargets & {envName: string}
  loaded: LoadedPlan
  envName: string
  groups: Record<string, GroupSpec>
  store: Awaited<ReturnType<typeof openState>>
  /** the provider's view of one group */
  ctx: (group: string) => ProviderContext
  /** the groups, each after those it depends on */
  order: string[]
}

export function providerOf(loaded: LoadedPlan, g: GroupSpec): {name: string; type: string; settings: Record<string, unknown>} {
  // a group naming none: its environment's `provider` (the environment holding this very group), else static
  const name = g.provider ?? Object.values(loaded.plan.environments ?? {}).find((env) => Object.values(env.groups ?? {}).includes(g))?.provider ?? 'static'
  const def = loaded.plan.providers?.[name]
  return {name, type: def?.type ?? name, settings: (def ?? {}) as Record<string, unknown>}
}

/** Third-party providers named in the plan: a package or file whose default export is a Provider. */
async function loadProviderModules(loaded: LoadedPlan): Promise<void> {
  for (const [name, def] of Object.entries(loaded.plan.providers ?? {})) {
    if (!def.module || getProvider(def.type)) continue
    const spec = String(def.module)
    const {pathToFileURL} = await import('node:url')
    const target = spec.startsWith('.') || spec.startsWith('/') ? pathToFileURL(path.resolve(loaded.dir, spec)).href : spec
    const mod = (await import(target).catch((e: Error) => {
      throw new InvalidInputError(`provider ${name}: cannot load module \`${spec}\`: ${e.message}`)
    })) as {default?: Provider}
    if (!mod.default || mod.default.type !== def.type) throw new InvalidInputError(`provider ${name}: module \`${spec}\` must export default a provider of type \`${def.type}\``)
    registerProvider(mod.default)
  }
}

export async function loadEnv(p: EnvParams): Promise<EnvContext> {
  const t = await resolveTargets(p.source).catch((err: unknown) => {
    throw locateStateError(err)
  })
  if (!t.loaded || !t.envName) throw new InvalidInputError('dops env needs a plan (dops.yml or -f)')
  const loaded = t.loaded
  const envName = t.envName
  await loadProviderModules(loaded)
  const groups = loaded.plan.environments![envName]!.groups ?? {}
  // monitoring follows membership: every state write rewrites the target files of groups whose hosts changed
  const monitored = followMembership(await openState(loaded, t.projectDir, envName), {loaded, envName, projectDir: t.projectDir, labelsOf: labelsFrom(t.hosts, groups), connection: p.connection}, p.reporter)
  // load balancers' targets (and DNS records) follow membership too, after each write
  const store = followResources(monitored, resourceScope(loaded, envName, t.projectDir, p.connection, p.reporter, p.stopSignal))
  const ctx = (group: string): ProviderContext => ({project: loaded.plan.project, env: envName, group, projectDir: t.projectDir, spec: (groups[group]!.instance ?? {}) as Record<string, unknown>, settings: providerOf(loaded, groups[group]!).settings, ...(p.actionId ? {idempotencyKey: p.actionId} : {})})
  return {p, t: {...t, envName}, loaded, envName, groups, store, ctx, order: dependencyOrder(groups)}
}

/** Does anything run on the group's hosts over SSH (bootstrap, apps, or another group's event handlers)? */
export function needsSsh(e: EnvContext, group: string): boolean {
  const spec = e.groups[group]!
  if (spec.bootstrap?.length || spec.apps?.length) return true
  return Object.values(e.groups).some((g) => [...(g.on?.hostsJoined ?? []), ...(g.on?.hostsLeft ?? [])].some((h) => h.group === group))
}

/**
 * The phases of an env command besides the executor's, so every second of it is accounted for: `start` (the
 * process before its first env command began: Node, the CLI and its modules; 0 for later commands of the same
 * process), `load` (the plan, its targets and inventories, the state and its lock), `observe` (what the providers
 * and hosts have now), `plan` (the diff and the providers' preflight). `total` is the command's whole time, `start`
 * included.
 */
export type TimedPhases = Phases & {start: number; load: number; observe: number; plan: number}

let processStarted = false
/** A clock for the command's phases; starts with `start` (once per process) and `load` counting from now. */
export function phaseClock() {
  const begin = performance.now()
  const start = processStarted ? 0 : begin
  processStarted = true
  const ph = {start, load: 0, observe: 0, plan: 0}
  let mark = begin
  return {
    /** the time since the last mark goes to `phase` */
    lap(phase: 'load' | 'observe' | 'plan') {
      const now = performance.now()
      ph[phase] += now - mark
      mark = now
    },
    /** restart the lap (time spent in the executor's own phases is not counted twice) */
    mark() {
      mark = performance.now()
    },
    /** these phases into the report, and `total` from the command's start (the process's, for its first command) */
    into(report: EnvReport): EnvReport {
      Object.assign(report.phases, ph, {total: performance.now() - begin + start})
      // whole milliseconds, as in the journal (env plan has none)
      for (const k of Object.keys(report.phases) as (keyof Phases)[]) report.phases[k] = Math.round(report.phases[k])
      return report
    },
  }
}

/** Report a step's start; the returned function reports its end, with how long it took. */
export function step(p: EnvParams, phase: keyof Phases, text: string): (result: string, ok?: boolean) => void {
  const t = performance.now()
  p.reporter?.({type: 'env.step', phase, text, state: 'start'})
  return (result, ok = true) => p.reporter?.({type: 'env.step', phase, text: `${text}: ${result}`, state: 'end', ok, ms: performance.now() - t})
}

/** Destroying hosts needs `yes`, or a yes from the person at the terminal. */
export async function confirmDestroy(p: EnvParams, what: string): Promise<void> {
  if (p.yes) return
  if (!p.confirm) throw new DopsError('CONFIRM', `${what}; run again with --yes`, {exitCode: ExitCode.INVALID_INPUT})
  if (!(await p.confirm(what))) throw new DopsError('DECLINED', 'nothing was changed: not confirmed', {exitCode: ExitCode.INTERRUPTED})
}

/** What the journal keeps of each host's run: outputs' last 8 KiB, secrets redacted. */
export function hostRuns(e: EnvContext, results: HostResult[]): HostRun[] {
  const redact = makeRedactor(e.t.secrets)
  const tail = (x: string) => redact(x.length > 8192 ? `…${x.slice(-8192)}` : x)
  return results.map((r) => ({host: r.host, status: r.status, exitCode: r.exitCode, durationMs: Math.round(r.durationMs), stdout: tail(r.stdout), stderr: tail(r.stderr), ...(r.error ? {error: redact(r.error)} : {})}))
}

export function scriptSpec(s: ScriptSpec, content?: string): RunSpec {
  const timeoutSec = s.timeout === undefined ? undefined : (parseDuration(s.timeout) ?? 0) / 1000
  return s.script ? {script: {path: s.script, content: content ?? ''}, args: s.args, runAs: s.runAs, timeoutSec} : {command: s.run, runAs: s.runAs, timeoutSec}
}

/**
 * A state (or record) that cannot be read is a located problem naming its file, never an internal error: a
 * truncated or hand-edited file says where it broke (line:column when the parser tells), and nothing is changed.
 */
export function unreadable(err: unknown, file: string | undefined, text?: string, what = 'state', hint = 'restore it from a backup, or move it away and let env up recover the hosts from the provider'): DopsError {
  const msg = (err as Error).message ?? String(err)
  const pos = /position (\d+)/.exec(msg)
  const before = pos && text !== undefined ? text.slice(0, Number(pos[1])).split('\n') : undefined
  const where = before ? {line: before.length, column: before.at(-1)!.length + 1} : {}
  return new DopsError('STATE_UNREADABLE', `cannot read ${file ?? `the environment ${what}`}: ${msg}; nothing was changed (${hint})`, {exitCode: ExitCode.INVALID_INPUT, problems: [{file, ...where, message: `not a valid ${what}: ${msg}`}], cause: err})
}

/** Errors the state backend throws when its file is broken, made located (others pass through). */
export function locateStateError(err: unknown, store?: {file?: string; url?: string}): unknown {
  const e = err as DopsError
  const broken = err instanceof SyntaxError || (e?.code === 'STATE_UNREADABLE' && e.exitCode === ExitCode.INTERNAL)
  if (!broken) return err
  const file = store?.file ?? store?.url ?? /environment state (\S+): /.exec(e.message)?.[1]
  const cause = /: ((?:Unexpected|Expected|Bad|Unterminated)[^]*)$/.exec(e.message)?.[1]
  let text: string | undefined
  try {
    text = file && !file.startsWith('s3:') ? readFileSync(file, 'utf8') : undefined
  } catch {
    text = undefined
  }
  return unreadable(cause ? new SyntaxError(cause) : err, file, text)
}

export async function readState(e: EnvContext) {
  return e.store.read().catch((err: unknown) => {
    throw locateStateError(err, e.store)
  })
}
