/**
 * What the providers and hosts say now, gathered before planning: per provider group the recorded hosts that are
 * alive or gone, hosts the provider has that the state does not (adopted, never made twice), settings that drifted;
 * stopped, and outdated (to replace); per app the desired revision and the hosts that do not run it. Reads only: nothing is changed.
 */
import {DopsError, ExitCode, InvalidInputError} from '../errors.js'
import {getProvider} from '../providers/registry.js'
import type {Outdated, Provider} from '../providers/types.js'
import type {EnvState, InstanceState} from '../state/local-file.js'
import {providerOf, type EnvContext} from './context.js'
import {desiredRevisions} from './desired.js'
import {observeStatic} from './static-hosts.js'
import type {DesiredRevision} from './types.js'
import {observeResources, resourceScope, type ResourceDrift} from './steps/resources.js'

export interface GroupObservation {
  provider: string
  type: string
  /**
   * recorded (or, with no record, discovered) hosts the provider still has (running, then stopped ones), then those
   * it has that the state lacks
   */
  live: InstanceState[]
  /** the latter: adopted, not ready */
  fresh: InstanceState[]
  /** recorded hosts that exist but are stopped (in `live` too: they count toward the group's count and stay recorded) */
  stopped?: InstanceState[]
  /** running hosts the provider says differ from the spec in a way only a new host fixes (size, image, ...), with why */
  outdated?: Outdated[]
  /** recorded hosts that no longer exist */
  gone: InstanceState[]
  drift: string[]
  ignored: string[]
  /** static groups: the fingerprint of the group's bootstrap now (a host recorded with another is bootstrapped again) */
  fingerprint?: string
}

export interface AppObservation {
  desired: DesiredRevision
  /** hosts that do not run the desired revision (unknown when it is known only at deploy, or not looked at) */
  behind?: string[]
}

export interface Observations {
  groups: Record<string, GroupObservation>
  apps: Record<string, AppObservation>
  /** environment-level resources (load balancers, DNS): per kind, what reconciling would change */
  resources?: ResourceDrift[]
}

export function providerFor(e: EnvContext, group: string): Provider {
  const prov = providerOf(e.loaded, e.groups[group]!)
  const provider = getProvider(prov.type)
  if (!provider) throw new InvalidInputError(`provider type \`${prov.type}\` of group ${group} is not available in this build of dops`)
  const why = provider.unavailable?.()
  if (why) throw new DopsError('PROVIDER_UNAVAILABLE', `group ${group} (provider ${prov.name}): ${why}; nothing was created`, {exitCode: ExitCode.INVALID_INPUT})
  return provider
}

/** `hosts`: also look at which revision each app host runs (env plan, up --dry-run); up finds out while deploying. */
export async function observe(e: EnvContext, state: EnvState, opts: {hosts: boolean}): Promise<Observations> {
  const groups: Record<string, GroupObservation> = {}
  for (const g of e.order) {
    const prov = providerOf(e.loaded, e.groups[g]!)
    if (prov.type === 'static') {
      groups[g] = await observeStatic(e, state, g, prov.name)
      continue
    }
    const provider = providerFor(e, g)
    // no record (first run, or a lost state file): adopt what the provider has for the group, by its tags
    const recorded = state.groups[g]?.instances ?? (await provider.discover?.(e.ctx(g))) ?? []
    const alive = await provider.alive(e.ctx(g), recorded)
    // what the provider has for the group that the state does not: an Auto Scaling group's replacement, or what a
    // run killed between create and record made
    const found = state.groups[g] && provider.discover ? (await provider.discover(e.ctx(g))).filter((f) => !recorded.some((r) => r.id === f.id)).map((f) => ({...f, ready: false})) : []
    // a recorded (or found) instance that is not running may be stopped: never gone, never made again; a found one
    // is started, then prepared like any new host
    const missing = recorded.filter((r) => !alive.includes(r))
    const asked = [...missing, ...found]
    const stoppedIds = new Set((asked.length && provider.stopped ? await provider.stopped(e.ctx(g), asked) : []).map((s) => s.id))
    const stopped = asked.filter((r) => stoppedIds.has(r.id))
    const fresh = found.filter((f) => !stoppedIds.has(f.id))
    const running = [...alive, ...fresh]
    const outdated = running.length && provider.outdated ? await provider.outdated(e.ctx(g), running) : []
    for (const name of e.p.replace ?? []) if (running.some((r) => r.name === name) && !outdated.some((o) => o.name === name)) outdated.push({name, why: ['replacement requested']})
    groups[g] = {
      provider: prov.name,
      type: prov.type,
      live: [...alive, ...stopped, ...fresh],
      fresh,
      ...(stopped.length ? {stopped} : {}),
      ...(outdated.length ? {outdated: outdated.filter((o) => running.some((r) => r.name === o.name))} : {}),
      gone: missing.filter((r) => !stoppedIds.has(r.id)),
      drift: state.groups[g] ? ((await provider.drift?.(e.ctx(g))) ?? []) : [],
      ignored: provider.ignoredFields?.((e.groups[g]!.instance ?? {}) as Record<string, unknown>) ?? [],
    }
  }
  checkReplace(e, state)
  const names = [...new Set(e.order.flatMap((g) => e.groups[g]!.apps ?? []))]
  const desired = await desiredRevisions(e.t.projectDir, e.loaded.dir, e.envName, (e.loaded.plan.apps ?? {}) as never, names, opts.hosts, e.loaded.plan.revisions)
  const apps: Record<string, AppObservation> = {}
  for (const app of names) {
    const want = e.p.revisions?.[app] ?? desired.get(app)!
    apps[app] = {desired: want, ...(opts.hosts && want.id ? {behind: await behindHosts(e, app, want.id)} : {})}
  }
  // env reconcile creates and destroys nothing: resources are left to env up
  const resources = e.p.reconcile ? [] : await observeResources(resourceScope(e.loaded, e.envName, e.t.projectDir, e.p.connection, e.p.reporter), state)
  return {groups, apps, ...(resources.length ? {resources} : {})}
}

/** The app's hosts (as the state knows them now) whose current revision is not `id`; unreachable ones included. */
async function behindHosts(e: EnvContext, app: string, id: string): Promise<string[]> {
  const groups = e.order.filter((g) => e.groups[g]!.apps?.includes(app))
  if (!e.t.hosts.some((h) => groups.includes(h.group))) return []
  const {statusJob} = await import('../deploy/status-job.js')
  const s = await statusJob({source: e.p.source, selection: {}, connection: e.p.connection, app})
  return s.hosts.filter((h) => h.revision !== id).map((h) => h.host)
}

/** `--replace HOST`: each names a host a provider made for this environment (recorded in its state). */
function checkReplace(e: EnvContext, state: EnvState): void {
  for (const name of e.p.replace ?? []) {
    if (Object.values(state.groups).some((g) => g.instances.some((i) => i.name === name))) continue
    if (Object.values(state.static ?? {}).some((g) => g.hosts.some((h) => h.name === name))) throw new InvalidInputError(`host ${name} is a static host: dops does not create or destroy it, so it cannot replace it`)
    throw new InvalidInputError(`no host \`${name}\` in environment ${e.envName} to replace (its hosts: ${Object.values(state.groups).flatMap((g) => g.instances.map((i) => i.name)).join(', ') || 'none'})`)
  }
}
