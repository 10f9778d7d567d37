/**
 * `dops env plan | up | down | reconcile | unlock | status` and `dops scale` as library calls. Every command that
 * changes hosts is "compute the steps, then apply them": observe (providers, hosts, deployment records), `diff`
 * (pure: the ordered steps), then the executor (`applySteps`). `env plan` and `--dry-run` stop after the diff.
 */
import {newRunId} from '../fleet/journal.js'
import {applySteps, newReport} from './apply.js'
import {confirmDestroy, loadEnv, phaseClock, providerOf, readState, type EnvContext} from './context.js'
import {changesAnything, checkScale, diff, type DiffInput} from './diff.js'
import {journaled} from './journal.js'
import {observe, providerFor, type Observations} from './observe.js'
import type {EnvState} from '../state/local-file.js'
import type {EnvParams, EnvReport, EnvStep, GroupChange} from './types.js'

export type {TimedPhases} from './context.js'
export type {EnvParams, EnvReport, EnvStep, GroupChange, HostRun, Phases} from './types.js'
export {envDown, type DownReport} from './down.js'
export {envStatus, type EnvStatus} from './status.js'

/** Observe, then diff: the steps `up` would apply. Checks every provider can run here first. */
async function planSteps(e: EnvContext, state: EnvState, hosts: boolean, clock: ReturnType<typeof phaseClock>) {
  const providers = Object.fromEntries(e.order.map((g) => [g, providerOf(e.loaded, e.groups[g]!)]))
  checkScale({envName: e.envName, groups: e.groups, providers, scale: e.p.scale})
  const observed = await observe(e, state, {hosts})
  clock.lap('observe')
  const staticHosts = Object.fromEntries(e.order.map((g) => [g, e.t.hosts.filter((h) => h.group === g).map((h) => h.name)]))
  const planned = diff({envName: e.envName, order: e.order, groups: e.groups, providers, staticHosts, state, observed, scale: e.p.scale, reconcile: e.p.reconcile, apps: e.loaded.plan.apps as DiffInput['apps']})
  // a group that will get new hosts: its provider checks it can make them (sizes, images, keys) before anything
  for (const g of new Set(planned.steps.flatMap((s) => (s.kind === 'create' ? [s.group] : [])))) await providerFor(e, g).preflight?.(e.ctx(g))
  clock.lap('plan')
  return {...planned, observed}
}

/** The plan keys of environment-level resources that their provider ignores, when any (as groups' `ignored`). */
function ignoredResources(o: Observations): Pick<EnvReport, 'resources'> {
  const list = (o.resources ?? []).filter((r) => r.ignored.length).map((r) => ({key: r.key, ignored: r.ignored}))
  return list.length ? {resources: list} : {}
}

/** The command as the user knows it: scale and reconcile are `env up` underneath. */
function commandOf(p: EnvParams, plain: string): string {
  if (p.replace?.length) return `${plain} --replace ${p.replace.join(' --replace ')}`
  return p.scale ? `scale ${Object.entries(p.scale).map(([g, n]) => `${g}=${n}`).join(' ')}` : p.reconcile ? 'env reconcile' : plain
}

/**
 * What of `changes` destroys hosts, in words ("destroy 1 host(s) of web (web-3), replace 3 host(s) of web (...)"), and
 * what of the resources step deletes or re-creates a load balancer (its `- load balancer` and `made again` lines), or ''.
 */
export function destructiveChanges(changes: GroupChange[], steps: EnvStep[] = []): string {
  const parts = [
    ...changes.filter((c) => c.destroy.length).map((c) => `destroy ${c.destroy.length} host(s) of ${c.group} (${c.destroy.join(', ')})`),
    ...changes.filter((c) => c.replace?.length).map((c) => `replace ${c.replace!.length} host(s) of ${c.group} (${c.replace!.map((r) => `${r.name}: ${r.why.join(', ')}`).join('; ')})`),
    ...steps.flatMap((st) => (st.kind === 'resources' ? st.changes : [])).flatMap((c) => c.lines.filter(destroysLb).map((l) => l.replace(/^- /, 'delete ').replace(/^~ /, 're-create ')))
  ]
  return parts.join(', ')
}

/** A resource line that deletes a whole load balancer or makes it again. */
const destroysLb = (line: string) => /^- load balancer [^:]*$/.test(line) || (/^~ load balancer /.test(line) && /\(made again\b/.test(line))

/** What `up` (or `scale`, `reconcile`) would do, with the hosts' app revisions looked at; changes nothing. */
export async function envPlan(p: EnvParams): Promise<EnvReport> {
  const clock = phaseClock()
  const e = await loadEnv(p)
  const state = await readState(e)
  clock.lap('load')
  const {changes, steps, observed} = await planSteps(e, state, true, clock)
  return clock.into({...newReport(e, 'plan', newRunId(), changes, steps), ...ignoredResources(observed), command: commandOf(p, 'env plan'), changed: changesAnything(steps), dryRun: true})
}

export async function envUp(p: EnvParams): Promise<EnvReport> {
  const clock = phaseClock()
  const e = await loadEnv(p)
  return journaled(
    e,
    await e.store.withLock(async () => {
      const state = await readState(e)
      clock.lap('load')
      const {changes, steps, observed} = await planSteps(e, state, false, clock)
      // destroying hosts, and replacing them (each replaced host is destroyed), and deleting or re-creating a load
      // balancer, asks first (--yes off a terminal);
      // the time someone takes to answer is no phase
      const what = destructiveChanges(changes, steps)
      if (what) await confirmDestroy(p, `this would ${what}`)
      return clock.into(await applySteps(e, state, observed, {...newReport(e, 'up', newRunId(), changes, steps), ...ignoredResources(observed), command: commandOf(p, 'env up')}))
    }),
  )
}

/** `dops env unlock`: remove the state lock of a command that died (after saying who held it). */
export async function envUnlock(p: EnvParams): Promise<{project: string; env: string; state: string; removed?: string}> {
  const e = await loadEnv(p)
  const where = e.store.url ?? e.store.file ?? 'state'
  const holder = await e.store.lockHolder()
  if (!holder) return {project: e.loaded.plan.project, env: e.envName, state: where}
  await confirmDestroy(p, `this removes the lock of ${where}, held by ${holder}; only do it when that command is dead`)
  return {project: e.loaded.plan.project, env: e.envName, state: where, removed: await e.store.forceUnlock()}
}
