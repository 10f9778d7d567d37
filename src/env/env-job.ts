/**
 * `dops env plan | up | down` as library calls. `up` applies the plan group by group in dependency order:
 * provision (provider), wait for SSH, bootstrap new hosts (with their dependencies' addresses), deploy the apps,
 * fire topology events; it records the state after each group and times every phase. Re-running it when nothing
 * changed changes nothing. Destructive changes need `yes`.
 */
import {readFile} from 'node:fs/promises'
import path from 'node:path'
import {DopsError, ExitCode, InvalidInputError} from '../errors.js'
import type {Reporter} from '../events.js'
import {runFleet, type RunSpec} from '../fleet/run.js'
import type {HostResult} from '../fleet/types.js'
import {newRunId} from '../fleet/journal.js'
import {writeJsonAtomic} from '../util/atomic-json.js'
import {makeRedactor} from '../util/redact.js'
import type {Host} from '../inventory/host.js'
import type {GroupSpec, LoadedPlan, ScriptSpec} from '../plan/types.js'
import {getProvider, registerProvider} from '../providers/registry.js'
import {PartialCreateError, type Provider, type ProviderContext} from '../providers/types.js'
import {openState} from '../state/backend.js'
import type {EnvState, InstanceState} from '../state/local-file.js'
import {resolveTargets, type TargetSource} from '../targets.js'
import {createSshTransport, type TransportSettings} from '../transport/factory.js'
import {parseDuration} from '../util/duration.js'
import {dependencyOrder} from './order.js'
import {shQuote} from '../transport/remote-command.js'
import {waitForSsh} from './wait-ssh.js'
import {drainHosts, type DrainResult} from '../deploy/drain-job.js'

export interface GroupChange {
  group: string
  provider: string
  keep: number
  create: number
  destroy: string[]
  /** hosts created earlier that never became ready (no SSH answer, or a failed bootstrap): up prepares them again */
  pending: number
  /** group settings besides hosts that differ from the plan (plan) or were brought to it (up), e.g. firewall rules */
  updates: string[]
  ignored: string[]
  apps: string[]
}

export interface EnvReport {
  project: string
  env: string
  action: 'plan' | 'up' | 'down'
  changes: GroupChange[]
  changed: boolean
  bootstrap: Array<{group: string; script: string; ok: number; failed: number; errors: string[]; hosts: HostRun[]}>
  deployments: Array<{app: string; status: string; exitCode: number; deploymentId?: string}>
  events: Array<{group: string; event: 'hostsJoined' | 'hostsLeft'; handlerGroup: string; ok: number; failed: number; hosts: HostRun[]}>
  /** hosts that did not answer SSH in time after they were created */
  waits: Array<{group: string; host: string; error: string}>
  /** apps taken out of traffic and stopped on hosts before they were destroyed */
  drains: DrainResult[]
  phases: Phases
  /** this command's id, and the journal file that keeps its report with every host's output */
  runId: string
  journal?: string
  /** why the command stopped early (interrupted), when it did */
  stopped?: string
  exitCode: number
}

/** One host's run of a bootstrap script or an event handler: what the journal keeps (secrets redacted). */
export interface HostRun {
  host: string
  status: string
  exitCode: number | null
  durationMs: number
  stdout: string
  stderr: string
  error?: string
}

const hostRuns = (e: {t: {secrets: string[]}}, results: HostResult[]): HostRun[] => {
  const redact = makeRedactor(e.t.secrets)
  const tail = (x: string) => redact(x.length > 8192 ? `…${x.slice(-8192)}` : x)
  return results.map((r) => ({host: r.host, status: r.status, exitCode: r.exitCode, durationMs: Math.round(r.durationMs), stdout: tail(r.stdout), stderr: tail(r.stderr), ...(r.error ? {error: redact(r.error)} : {})}))
}

export type Phases = Record<'provision' | 'wait' | 'bootstrap' | 'deploy' | 'events' | 'drain' | 'total', number>
const noPhases = (): Phases => ({provision: 0, wait: 0, bootstrap: 0, deploy: 0, events: 0, drain: 0, total: 0})
const DEFAULT_SSH_WAIT = '5m'

export interface EnvParams {
  source: TargetSource
  /** `dops env reconcile`: adopt hosts that appeared without dops and forget those that are gone; no create/destroy */
  reconcile?: boolean
  /** `dops scale`: desired host counts by group, remembered until the plan's count changes */
  scale?: Record<string, number>
  connection: Omit<TransportSettings, 'projectDir' | 'planSsh' | 'onHostKeyLearned'>
  yes?: boolean
  /** Ctrl-C: the step in progress finishes, nothing new starts, the state is saved (exit 6) */
  stopSignal?: AbortSignal
  /** asked (on a terminal) before destroying hosts when `yes` is not given; without it, `yes` is required */
  confirm?: (what: string) => Promise<boolean>
  reporter?: Reporter
}

/** Report a step's start; the returned function reports its end, with how long it took. */
function step(p: EnvParams, phase: keyof Phases, text: string): (result: string, ok?: boolean) => void {
  const t = performance.now()
  p.reporter?.({type: 'env.step', phase, text, state: 'start'})
  return (result, ok = true) => p.reporter?.({type: 'env.step', phase, text: `${text}: ${result}`, state: 'end', ok, ms: performance.now() - t})
}

/** Destroying hosts needs `yes`, or a yes from the person at the terminal. */
async function confirmDestroy(p: EnvParams, what: string): Promise<void> {
  if (p.yes) return
  if (!p.confirm) throw new DopsError('CONFIRM', `${what}; run again with --yes`, {exitCode: ExitCode.INVALID_INPUT})
  if (!(await p.confirm(what))) throw new DopsError('DECLINED', 'nothing was changed: not confirmed', {exitCode: ExitCode.INTERRUPTED})
}

function providerOf(loaded: LoadedPlan, g: GroupSpec): {name: string; type: string; settings: Record<string, unknown>} {
  const name = g.provider ?? 'static'
  const def = loaded.plan.providers?.[name]
  return {name, type: def?.type ?? name, settings: (def ?? {}) as Record<string, unknown>}
}

async function loadEnv(p: EnvParams) {
  const t = await resolveTargets(p.source)
  if (!t.loaded || !t.envName) throw new InvalidInputError('dops env needs a plan (dops.yml or -f)')
  const loaded = t.loaded
  // third-party providers named in the plan: a package or file whose default export is a Provider
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
  const env = loaded.plan.environments![t.envName]!
  const groups = env.groups ?? {}
  const store = await openState(loaded, t.projectDir, t.envName)
  const ctx = (group: string): ProviderContext => ({project: loaded.plan.project, env: t.envName!, group, projectDir: t.projectDir, spec: (groups[group]!.instance ?? {}) as Record<string, unknown>, settings: providerOf(loaded, groups[group]!).settings})
  return {t, loaded, groups, store, ctx, order: dependencyOrder(groups)}
}

/** The group's host count in the plan: `count`, else an Auto Scaling group's `desired` (then `min`), else 1. */
function plannedCount(spec: GroupSpec): number {
  const i = (spec.instance ?? {}) as {count?: number; autoScaling?: {desired?: number; min?: number}}
  return Number(i.count ?? i.autoScaling?.desired ?? i.autoScaling?.min ?? 1)
}

/** What `up` would do: per group, instances kept, created and destroyed. Checks every provider can run first. */
async function computeChanges(e: Awaited<ReturnType<typeof loadEnv>> & {scale?: Record<string, number>; reconcile?: boolean}, state: EnvState): Promise<{changes: GroupChange[]; alive: Map<string, InstanceState[]>; adopted: Map<string, InstanceState[]>; gone: Map<string, InstanceState[]>}> {
  const changes: GroupChange[] = []
  const alive = new Map<string, InstanceState[]>()
  const adopted = new Map<string, InstanceState[]>()
  const gone = new Map<string, InstanceState[]>()
  for (const g of e.order) {
    const spec = e.groups[g]!
    const prov = providerOf(e.loaded, spec)
    if (prov.type === 'static') {
      changes.push({group: g, provider: prov.name, keep: e.t.hosts.filter((h) => h.group === g).length, create: 0, destroy: [], pending: 0, updates: [], ignored: [], apps: spec.apps ?? []})
      continue
    }
    const provider = getProvider(prov.type)
    if (!provider) throw new InvalidInputError(`provider type \`${prov.type}\` of group ${g} is not available in this build of dops`)
    const why = provider.unavailable?.()
    if (why) throw new DopsError('PROVIDER_UNAVAILABLE', `group ${g} (provider ${prov.name}): ${why}; nothing was created`, {exitCode: ExitCode.INVALID_INPUT})
    // no record (first run, or a lost state file): adopt what the provider has for the group, by its tags
    const recorded = state.groups[g]?.instances ?? (await provider.discover?.(e.ctx(g))) ?? []
    let live = await provider.alive(e.ctx(g), recorded)
    const dead = recorded.filter((r) => !live.includes(r))
    if (dead.length) gone.set(g, dead)
    // what the provider has for the group that the state does not: an Auto Scaling group's replacement, or what a
    // run killed between create and record made. Adopted (and prepared again), never made twice.
    const fresh = state.groups[g] && provider.discover ? (await provider.discover(e.ctx(g))).filter((f) => !recorded.some((r) => r.id === f.id)).map((f) => ({...f, ready: false})) : []
    if (e.reconcile) {
      // counts are not changed
      if (fresh.length) adopted.set(g, fresh)
      live = [...live, ...fresh]
      alive.set(g, live)
      changes.push({group: g, provider: prov.name, keep: live.length, create: 0, destroy: dead.map((r) => `${r.name} (gone)`), pending: live.filter((i) => i.ready === false).length, updates: [], ignored: [], apps: spec.apps ?? []})
      continue
    }
    live = [...live, ...fresh]
    alive.set(g, live)
    const planCount = plannedCount(spec)
    const scaled = state.groups[g]?.scaled
    const want = e.scale?.[g] ?? (scaled && scaled.planCount === planCount ? scaled.desired : planCount)
    const extra = live.slice(want)
    if (want > live.length) await provider.preflight?.(e.ctx(g))
    changes.push({group: g, provider: prov.name, keep: Math.min(want, live.length), create: Math.max(0, want - live.length), destroy: [...extra.map((i) => i.name), ...recorded.filter((r) => !live.includes(r)).map((r) => `${r.name} (gone)`)], pending: live.slice(0, want).filter((i) => i.ready === false).length, updates: state.groups[g] ? ((await provider.drift?.(e.ctx(g))) ?? []) : [], ignored: provider.ignoredFields?.((spec.instance ?? {}) as Record<string, unknown>) ?? [], apps: spec.apps ?? []})
  }
  return {changes, alive, adopted, gone}
}

export async function envPlan(p: EnvParams): Promise<EnvReport> {
  const e = await loadEnv(p)
  const {changes} = await computeChanges(e, await e.store.read())
  return {project: e.loaded.plan.project, env: e.t.envName!, action: 'plan', changes, changed: changes.some((c) => c.create || c.destroy.length || c.pending || c.updates.length), bootstrap: [], deployments: [], events: [], waits: [], drains: [], phases: noPhases(), exitCode: 0, runId: newRunId()}
}

function scriptSpec(s: ScriptSpec, content?: string): RunSpec {
  const timeoutSec = s.timeout === undefined ? undefined : (parseDuration(s.timeout) ?? 0) / 1000
  return s.script ? {script: {path: s.script, content: content ?? ''}, args: s.args, runAs: s.runAs, timeoutSec} : {command: s.run, runAs: s.runAs, timeoutSec}
}

export async function envUp(p: EnvParams): Promise<EnvReport> {
  const e = await loadEnv(p)
  const t0 = performance.now()
  return journaled(e, await e.store.withLock(async () => {
    const state = await e.store.read()
    for (const g of Object.keys(p.scale ?? {})) {
      const spec = e.groups[g]
      if (!spec) throw new InvalidInputError(`no group \`${g}\` in environment ${e.t.envName} (groups: ${Object.keys(e.groups).join(', ')})`)
      if (providerOf(e.loaded, spec).type === 'static') throw new InvalidInputError(`group ${g} has static hosts: dops scale adds and removes hosts that a provider creates`)
      const asg = (spec.instance as {autoScaling?: {min?: number; max?: number}} | undefined)?.autoScaling
      const n = p.scale![g]!
      if (asg && ((asg.min !== undefined && n < asg.min) || (asg.max !== undefined && n > asg.max))) throw new InvalidInputError(`group ${g}: ${n} is outside its Auto Scaling range (min ${asg.min ?? 0}, max ${asg.max ?? '-'}); change autoScaling in the plan to go there`)
    }
    const {changes, alive, adopted, gone} = await computeChanges({...e, scale: p.scale, reconcile: p.reconcile}, state)
    const destructive = changes.filter((c) => c.destroy.some((d) => !d.endsWith('(gone)')))
    if (destructive.length) await confirmDestroy(p, `this would destroy ${destructive.map((c) => `${c.destroy.length} host(s) of ${c.group} (${c.destroy.join(', ')})`).join(', ')}`)
    const report: EnvReport = {project: e.loaded.plan.project, env: e.t.envName!, action: 'up', changes, changed: false, bootstrap: [], deployments: [], events: [], waits: [], drains: [], phases: noPhases(), exitCode: 0, runId: newRunId()}
    const joined = new Map<string, InstanceState[]>()
    const left = new Map<string, InstanceState[]>()
    // 1. provision, wait for SSH and bootstrap, group by group in dependency order
    // interrupted: hosts that joined but were not announced are prepared (and announced) again by the next run
    const stop = async (): Promise<EnvReport> => {
      for (const [g, list] of joined) {
        const spec = e.groups[g]!
        if (spec.apps?.length || spec.on?.hostsJoined?.length) for (const i of list) i.ready = false
      }
      await e.store.write(state)
      report.exitCode = ExitCode.INTERRUPTED
      report.stopped = 'interrupted: the step in progress finished, nothing else was started; run env up again to go on'
      report.changed = true
      report.phases.total = performance.now() - t0
      return report
    }
    for (const change of changes) {
      if (p.stopSignal?.aborted) return stop()
      const spec = e.groups[change.group]!
      const prov = providerOf(e.loaded, spec)
      if (prov.type === 'static') continue
      const provider = getProvider(prov.type)!
      const ctx = e.ctx(change.group)
      const live = alive.get(change.group) ?? []
      const t1 = performance.now()
      const extra = p.reconcile ? [] : live.slice(change.keep)
      const lost = gone.get(change.group) ?? []
      if (lost.length) {
        // hosts that vanished (terminated outside dops): the other groups are told
        await fireEvents(p, e, report, [[change.group, 'hostsLeft', lost]], new Set(lost.map((x) => x.name)))
        left.set(change.group, lost)
      }
      if (extra.length) {
        // drain first: the handlers of hostsLeft see the membership without the leaving hosts, then the apps on
        // the leaving hosts are taken out of traffic and stopped, then the hosts go
        await fireEvents(p, e, report, [[change.group, 'hostsLeft', extra]], new Set(extra.map((x) => x.name)))
        await drain(p, e, report, extra)
        const end = step(p, 'provision', `${change.group}: destroying ${extra.length} host(s) (${prov.name})`)
        await provider.destroy(ctx, extra)
        end('destroyed')
      }
      const planCount = plannedCount(spec)
      const scaled = p.scale?.[change.group] !== undefined ? {desired: p.scale[change.group]!, planCount} : state.groups[change.group]?.scaled
      const creating = !p.reconcile && change.create ? step(p, 'provision', `${change.group}: creating ${change.create} host(s) (${prov.name})`) : undefined
      const made = p.reconcile
        ? (adopted.get(change.group) ?? [])
        : change.create
          ? await provider.create(ctx, change.create, live).catch(async (err: unknown) => {
              creating?.((err as Error).message, false)
              // some were made before the failure: record them (not ready), so the next run does not make them again
              if (err instanceof PartialCreateError) {
                state.groups[change.group] = {provider: prov.type, instances: [...live.slice(0, change.keep), ...err.created.map((c) => ({...c, ready: false}))], ...(scaled ? {scaled} : {})}
                await e.store.write(state)
              }
              throw err
            })
          : []
      creating?.(made.map((m) => `${m.name} ${m.address}`).join(', '))
      if (p.reconcile) live.splice(live.length - made.length, made.length)
      // a host is `ready` once it answered SSH and its bootstrap succeeded: one that is not is prepared again
      for (const m of made) m.ready = false
      const instances = [...live.slice(0, change.keep), ...made]
      state.groups[change.group] = {provider: prov.type, instances, ...(scaled ? {scaled} : {})}
      await e.store.write(state)
      // settings besides hosts (firewall rules) brought to the plan
      if (!p.reconcile && provider.reconcile) {
        change.updates = await provider.reconcile(ctx)
        if (change.updates.length) {
          report.changed = true
          step(p, 'provision', `${change.group}: ${change.updates.join('; ')}`)('applied')
        }
      }
      report.phases.provision += performance.now() - t1
      if (extra.length) left.set(change.group, [...(left.get(change.group) ?? []), ...extra])
      const pending = instances.filter((i) => i.ready === false)
      if (!pending.length) continue
      const failed = await prepareHosts(p, e, report, change.group, pending)
      if (!failed) {
        for (const i of pending) i.ready = true
        await e.store.write(state)
        // ready now: the other groups hear of them (a host prepared again on a later run joins then)
        joined.set(change.group, pending)
        continue
      }
      report.exitCode = ExitCode.SOME_FAILED
      report.phases.total = performance.now() - t0
      report.changed = true
      return report
    }
    report.changed ||= joined.size > 0 || left.size > 0
    // 2. apps: deployed where a host does not run the app's current revision yet
    const t4 = performance.now()
    const {deployJob} = await import('../deploy/deploy-job.js')
    const apps = [...new Set(changes.flatMap((c) => c.apps))]
    for (const app of apps) {
      if (p.stopSignal?.aborted) return stop()
      const base = {source: p.source, selection: {}, connection: p.connection, app, reporter: p.reporter, stopSignal: p.stopSignal}
      // only the hosts that do not run the app's current revision (new hosts, or all after a change)
      const end = step(p, 'deploy', `deploying ${app}`)
      const r = await deployJob({...base, onlyBehind: true})
      end(r.status === 'up-to-date' ? 'up to date' : `${r.status}${r.deploymentId ? ` (${r.deploymentId})` : ''}`, r.exitCode === 0)
      if (r.status === 'up-to-date') {
        report.deployments.push({app, status: 'up to date', exitCode: 0})
        continue
      }
      report.deployments.push({app, status: r.status, exitCode: r.exitCode, deploymentId: r.deploymentId})
      report.changed = true
      if (r.exitCode !== 0) report.exitCode = r.exitCode
    }
    report.phases.deploy = performance.now() - t4
    if (p.stopSignal?.aborted) return stop()
    // 3. topology events: handlers on other groups get the current membership
    const t3 = performance.now()
    if (joined.size) await fireEvents(p, e, report, [...joined].map(([g, l]) => [g, 'hostsJoined', l] as const), new Set())
    report.phases.events = performance.now() - t3
    report.phases.total = performance.now() - t0
    return report
  }))
}

/** Keep the report, host outputs included, as `.dops/env-runs/<run id>.json` (secrets were redacted). */
async function journaled(e: Awaited<ReturnType<typeof loadEnv>>, report: EnvReport): Promise<EnvReport> {
  report.journal = await writeJsonAtomic(path.join(e.t.projectDir, '.dops', 'env-runs', `${report.runId}.json`), report)
  return report
}

/** Does anything run on the group's hosts over SSH (bootstrap, apps, or another group's event handlers)? */
function needsSsh(e: Awaited<ReturnType<typeof loadEnv>>, group: string): boolean {
  const spec = e.groups[group]!
  if (spec.bootstrap?.length || spec.apps?.length) return true
  return Object.values(e.groups).some((g) => [...(g.on?.hostsJoined ?? []), ...(g.on?.hostsLeft ?? [])].some((h) => h.group === group))
}

/**
 * Make new hosts usable: wait until they answer SSH, then run the group's bootstrap scripts with the addresses of
 * the groups it depends on. Returns true when a host failed (reported in `report`).
 */
async function prepareHosts(p: EnvParams, e: Awaited<ReturnType<typeof loadEnv>>, report: EnvReport, group: string, pending: InstanceState[]): Promise<boolean> {
  const spec = e.groups[group]!
  if (!needsSsh(e, group)) return false
  const all = (await resolveTargets(p.source)).hosts
  const hosts = all.filter((h) => h.group === group && pending.some((m) => m.name === h.name))
  const transport = createSshTransport({...p.connection, projectDir: e.t.projectDir, planSsh: e.loaded.plan.ssh})
  try {
    const t1 = performance.now()
    const timeout = parseDuration(String(providerOf(e.loaded, spec).settings.sshTimeout ?? DEFAULT_SSH_WAIT)) ?? 300_000
    const waitEnd = step(p, 'wait', `${group}: waiting for SSH on ${hosts.length} host(s)`)
    const waited = await waitForSsh(transport, hosts, timeout)
    waitEnd(waited.every((w) => w.ok) ? 'all answered' : `${waited.filter((w) => !w.ok).length} did not answer`, waited.every((w) => w.ok))
    report.phases.wait += performance.now() - t1
    const late = waited.filter((w) => !w.ok)
    report.waits.push(...late.map((w) => ({group, host: w.host, error: w.error ?? ''})))
    if (late.length) return true
    const t2 = performance.now()
    try {
      const depEnv = Object.fromEntries((spec.dependsOn ?? []).map((d) => [`DOPS_${d.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_HOSTS`, all.filter((h) => h.group === d).map((h) => transport.target(h).address).join(' ')]))
      for (const s of spec.bootstrap ?? []) {
        const content = s.script ? await readFile(path.resolve(e.loaded.dir, s.script), 'utf8') : undefined
        const end = step(p, 'bootstrap', `${group}: bootstrap ${s.name ?? s.script ?? s.run ?? ''}`)
        const r = await runFleet({hosts, transport, spec: {...scriptSpec(s, content), env: depEnv}, hostEnv: (h) => ({DOPS_HOST: h.name, DOPS_HOST_ADDRESS: transport.target(h).address, DOPS_GROUP: h.group}), reporter: p.reporter})
        const failed = r.results.filter((x) => x.status !== 'ok')
        end(`${r.summary.ok}/${r.summary.total} ok`, !failed.length)
        report.bootstrap.push({group, script: s.name ?? s.script ?? s.run ?? '', ok: r.summary.ok, failed: failed.length, errors: failed.map((f) => `${f.host}: ${f.error ?? ''} ${f.stderr.trim().slice(-200)}`), hosts: hostRuns(e, r.results)})
        if (failed.length) return true
      }
    } finally {
      report.phases.bootstrap += performance.now() - t2
    }
    return false
  } finally {
    await transport.close()
  }
}

/** Take the apps on leaving hosts out of traffic and stop them (reported; a failure does not stop the removal). */
async function drain(p: EnvParams, e: Awaited<ReturnType<typeof loadEnv>>, report: EnvReport, leaving: InstanceState[] | Host[]): Promise<void> {
  const t1 = performance.now()
  const all = (await resolveTargets(p.source)).hosts
  const names = new Set(leaving.map((l) => l.name))
  const hosts = all.filter((h) => names.has(h.name) && (e.groups[h.group]?.apps ?? []).length)
  if (hosts.length) {
    const transport = createSshTransport({...p.connection, projectDir: e.t.projectDir, planSsh: e.loaded.plan.ssh})
    try {
      const end = step(p, 'drain', `draining apps on ${hosts.map((h) => h.name).join(', ')}`)
      const r = await drainHosts({loaded: e.loaded, envName: e.t.envName!, all, leaving: hosts, transport})
      end(`${r.filter((d) => d.status === 'ok').length}/${r.length} ok`, r.every((d) => d.status === 'ok'))
      report.drains.push(...r)
      if (r.some((d) => d.status !== 'ok')) report.exitCode = ExitCode.SOME_FAILED
    } finally {
      await transport.close()
    }
  }
  report.phases.drain += performance.now() - t1
}

export async function envDown(p: EnvParams): Promise<EnvReport> {
  const e = await loadEnv(p)
  const t0 = performance.now()
  return journaled(e, await e.store.withLock(async () => {
    const state = await e.store.read()
    // what exists: the state's records, or (lost state) what the provider finds by its tags
    const doomed = new Map<string, InstanceState[]>()
    for (const g of e.order) {
      const type = providerOf(e.loaded, e.groups[g]!).type
      if (type === 'static') continue
      const provider = getProvider(type)
      const list = state.groups[g]?.instances ?? (await provider?.discover?.(e.ctx(g))) ?? []
      if (list.length) doomed.set(g, list)
    }
    const count = [...doomed.values()].reduce((n, l) => n + l.length, 0)
    if (count) await confirmDestroy(p, `this destroys ${count} host(s) of ${e.t.envName} (${[...doomed].map(([g, l]) => `${g}: ${l.map((i) => i.name).join(', ')}`).join('; ')})`)
    const report: EnvReport = {project: e.loaded.plan.project, env: e.t.envName!, action: 'down', changes: [], changed: false, bootstrap: [], deployments: [], events: [], waits: [], drains: [], phases: noPhases(), exitCode: 0, runId: newRunId()}
    const everything = [...doomed.values()].flat()
    // 1. the groups that stay (static hosts) hear that these hosts leave: a static load balancer drops them first
    const t1 = performance.now()
    await fireEvents(p, e, report, [...doomed].map(([g, l]) => [g, 'hostsLeft', l] as const), new Set(everything.map((i) => i.name)))
    report.phases.events = performance.now() - t1
    // 2. the apps are taken out of traffic and stopped
    await drain(p, e, report, everything)
    // 3. the hosts go, the dependants first
    const t2 = performance.now()
    for (const g of [...e.order].reverse()) {
      const list = doomed.get(g)
      if (!list) continue
      if (p.stopSignal?.aborted) {
        report.exitCode = ExitCode.INTERRUPTED
        report.stopped = 'interrupted: the groups listed were destroyed, the others are left; run env down again to go on'
        break
      }
      const type = providerOf(e.loaded, e.groups[g]!).type
      const end = step(p, 'provision', `${g}: destroying ${list.length} host(s) (${type})`)
      await getProvider(type)?.destroy(e.ctx(g), list)
      end('destroyed')
      report.changes.push({group: g, provider: type, keep: 0, create: 0, destroy: list.map((i) => i.name), pending: 0, updates: [], ignored: [], apps: []})
      delete state.groups[g]
      await e.store.write(state)
    }
    // what is left of the environment (security groups, the local address range) goes with its last host
    for (const g of report.stopped ? [] : Object.keys(e.groups)) {
      const type = providerOf(e.loaded, e.groups[g]!).type
      if (type !== 'static' && type !== 'local') await getProvider(type)?.cleanup?.(e.ctx(g))
    }
    if (!report.stopped && Object.values(e.groups).some((g) => providerOf(e.loaded, g).type === 'local')) {
      const {releaseLocalEnv} = await import('../providers/local/provider.js')
      await releaseLocalEnv(e.loaded.plan.project, e.t.envName!)
    }
    report.phases.provision = performance.now() - t2
    report.phases.total = performance.now() - t0
    report.changed = report.changes.length > 0
    return report
  }))
}

type EventList = ReadonlyArray<readonly [string, 'hostsJoined' | 'hostsLeft', InstanceState[]]>

/** Run the plan's handlers for membership changes on their groups, with the membership (less `leaving`). */
async function fireEvents(p: EnvParams, e: Awaited<ReturnType<typeof loadEnv>>, report: EnvReport, events: EventList, leaving: Set<string>): Promise<void> {
  const all = (await resolveTargets(p.source)).hosts
  const transport = createSshTransport({...p.connection, projectDir: e.t.projectDir, planSsh: e.loaded.plan.ssh})
  try {
    for (const [group, kind, list] of events) {
      for (const h of e.groups[group]!.on?.[kind] ?? []) {
        const members = all.filter((x) => x.group === group && !leaving.has(x.name))
        // addresses as SSH reaches them (an ssh_config alias resolved to its HostName)
        const addr = (m: Host) => transport.target(m).address
        const changed = list.map((m) => all.find((x) => x.name === m.name && x.group === group) ?? m)
        const json = JSON.stringify({event: kind, group, hosts: members.map((m) => ({name: m.name, address: addr(m), port: m.port})), changed: changed.map((m) => ({name: m.name, address: 'group' in m ? addr(m) : m.address}))})
        const env = {DOPS_EVENT: kind, DOPS_EVENT_GROUP: group, DOPS_HOSTS: members.map(addr).join(' '), DOPS_CHANGED_HOSTS: changed.map((m) => ('group' in m ? addr(m) : m.address)).join(' '), DOPS_MEMBERS_JSON: json}
        const spec: RunSpec = h.script ? {script: {path: h.script, content: await readFile(path.resolve(e.loaded.dir, h.script), 'utf8')}, env} : {command: h.run, env}
        const targets = all.filter((x) => x.group === h.group && !leaving.has(x.name))
        if (!targets.length) continue
        const end = step(p, 'events', `${group}.${kind} -> ${h.group}`)
        // the membership as a JSON file on each handler host too (DOPS_MEMBERS_FILE), removed after the handler
        const files = new Map<string, string>()
        await Promise.all(
          targets.map(async (x) => {
            const r = await (await transport.connect(x)).exec('umask 077; f=$(mktemp "${TMPDIR:-/tmp}/dops-members.XXXXXX") && cat > "$f" && printf %s "$f"', {stdin: json}).catch(() => undefined)
            if (r?.exitCode === 0 && r.stdout.trim()) files.set(x.name, r.stdout.trim())
          }),
        )
        const r = await runFleet({hosts: targets, transport, spec, hostEnv: (x) => ({DOPS_HOST: x.name, DOPS_HOST_ADDRESS: transport.target(x).address, ...(files.has(x.name) ? {DOPS_MEMBERS_FILE: files.get(x.name)!} : {})}), reporter: p.reporter})
        await Promise.all([...files].map(async ([name, f]) => (await transport.connect(targets.find((x) => x.name === name)!)).exec(`rm -f ${shQuote(f)}`).catch(() => undefined)))
        end(`${r.summary.ok}/${r.summary.total} ok`, r.summary.ok === r.summary.total)
        report.events.push({group, event: kind, handlerGroup: h.group, ok: r.summary.ok, failed: r.summary.total - r.summary.ok, hosts: hostRuns(e, r.results)})
        if (r.summary.ok < r.summary.total) report.exitCode = ExitCode.SOME_FAILED
      }
    }
  } finally {
    await transport.close()
  }
}

/** `dops env unlock`: remove the state lock of a command that died (after saying who held it). */
export async function envUnlock(p: EnvParams): Promise<{project: string; env: string; state: string; removed?: string}> {
  const e = await loadEnv(p)
  const where = (e.store as {url?: string; file?: string}).url ?? (e.store as {file?: string}).file ?? 'state'
  const holder = await e.store.lockHolder()
  if (!holder) return {project: e.loaded.plan.project, env: e.t.envName!, state: where}
  await confirmDestroy(p, `this removes the lock of ${where}, held by ${holder}; only do it when that command is dead`)
  return {project: e.loaded.plan.project, env: e.t.envName!, state: where, removed: await e.store.forceUnlock()}
}

export interface EnvStatus {
  project: string
  env: string
  groups: Array<{
    group: string
    provider: string
    hosts: Array<{name: string; address: string; state: 'running' | 'gone' | 'static'; ready?: boolean; reachable?: boolean; revisions: Record<string, string | undefined>; health: Record<string, {healthy: boolean; reason?: string} | undefined>}>
    apps: Array<{app: string; revision?: string; differing: string[]}>
  }>
}

/** The application-centred view: groups, hosts, their provider state, the app revision each runs, and health. */
export async function envStatus(p: EnvParams): Promise<EnvStatus> {
  const e = await loadEnv(p)
  const state = await e.store.read()
  const {statusJob} = await import('../deploy/status-job.js')
  const apps = [...new Set(e.order.flatMap((g) => e.groups[g]!.apps ?? []))]
  const byApp = new Map<string, Awaited<ReturnType<typeof statusJob>>>()
  for (const app of apps) byApp.set(app, await statusJob({source: p.source, selection: {}, connection: p.connection, app, health: true}))
  const out: EnvStatus = {project: e.loaded.plan.project, env: e.t.envName!, groups: []}
  for (const g of e.order) {
    const spec = e.groups[g]!
    const prov = providerOf(e.loaded, spec)
    const provider = prov.type === 'static' ? undefined : getProvider(prov.type)
    const recorded = state.groups[g]?.instances ?? []
    const live = provider ? new Set((await provider.alive(e.ctx(g), recorded)).map((i) => i.name)) : undefined
    const hosts = e.t.hosts.filter((h) => h.group === g)
    out.groups.push({
      group: g,
      provider: prov.name,
      hosts: [
        ...hosts.map((h) => ({
          name: h.name,
          address: h.address,
          state: (live ? (live.has(h.name) ? 'running' : 'gone') : 'static') as 'running' | 'gone' | 'static',
          reachable: (spec.apps ?? []).length ? byApp.get(spec.apps![0]!)?.hosts.find((x) => x.host === h.name)?.reachable : undefined,
          revisions: Object.fromEntries((spec.apps ?? []).map((a) => [a, byApp.get(a)?.hosts.find((x) => x.host === h.name)?.revision])),
          health: Object.fromEntries(
            (spec.apps ?? []).map((a) => {
              const st = byApp.get(a)?.hosts.find((x) => x.host === h.name)
              return [a, st?.healthy === undefined ? undefined : {healthy: st.healthy, ...(st.healthReason ? {reason: st.healthReason} : {})}]
            }),
          ),
          ready: recorded.find((r) => r.name === h.name)?.ready,
        })),
      ],
      apps: (spec.apps ?? []).map((a) => ({app: a, revision: byApp.get(a)?.groups[g]?.revision, differing: byApp.get(a)?.groups[g]?.differing ?? []})),
    })
  }
  return out
}
