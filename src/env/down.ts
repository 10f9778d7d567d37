/**
 * `dops env down`: tell the groups that stay, drain the apps, destroy every host a provider made (dependants first),
 * then let each provider remove what is left of the environment (once per provider entry: Auto Scaling groups,
 * launch templates, security groups) and check nothing remains. A group's record leaves the state only when all
 * of it is gone: after its hosts are destroyed the record is kept without hosts until its provider's teardown
 * succeeds, so a failed or interrupted down is finished by the next one.
 */
import {DopsError, ExitCode} from '../errors.js'
import {getProvider} from '../providers/registry.js'
import type {Provider, ProviderContext} from '../providers/types.js'
import type {EnvState, InstanceState} from '../state/local-file.js'
import {newReport} from './apply.js'
import {confirmDestroy, loadEnv, phaseClock, providerOf, readState, step, type EnvContext} from './context.js'
import {journaled} from './journal.js'
import {drain} from './steps/drain.js'
import {fireEvents} from './steps/events.js'
import {applyingKinds, resourceLeftovers, resourceScope, teardownResources} from './steps/resources.js'
import type {EnvParams, EnvReport} from './types.js'
import {newRunId} from '../fleet/journal.js'

/** env down's report: what was removed besides, e.g. `auto scaling group dops-shop-prod-web`, `security group sg-…` */
export interface DownReport extends EnvReport {
  removed: string[]
}

/** Providers that say what they removed (aws): `remove` destroys hosts, `teardown` is `cleanup` with a list. */
type Remover = Provider & {
  remove?(ctx: ProviderContext, instances: InstanceState[]): Promise<string[]>
  teardown?(ctx: ProviderContext): Promise<string[]>
}
const providerFor = (e: EnvContext, g: string) => getProvider(providerOf(e.loaded, e.groups[g]!).type) as Remover | undefined

/** Destroy the hosts; what was removed (the provider's list, else the hosts by name). */
async function destroy(e: EnvContext, g: string, list: InstanceState[]): Promise<string[]> {
  const prov = providerFor(e, g)
  if (prov?.remove) return prov.remove(e.ctx(g), list)
  await prov?.destroy(e.ctx(g), list)
  return list.map((i) => `host ${i.name}`)
}

/** Does the group's provider remove more than hosts at the end (its teardown)? Its record stays until then. */
const tornDown = (e: EnvContext, g: string) => {
  const prov = providerFor(e, g)
  return !!(prov && prov.type !== 'local' && (prov.teardown || prov.cleanup))
}

/**
 * Each provider entry's teardown, once (it works on the whole environment in its region). A group's record is
 * cleared when its entry's teardown succeeded; failures are collected and thrown after the state is written.
 */
async function teardownAll(e: EnvContext, state: EnvState, removed: string[]): Promise<DopsError[]> {
  const entries = new Map<string, string[]>()
  for (const g of e.order) if (tornDown(e, g)) entries.set(providerOf(e.loaded, e.groups[g]!).name, [...(entries.get(providerOf(e.loaded, e.groups[g]!).name) ?? []), g])
  const failures: DopsError[] = []
  for (const [name, groups] of entries) {
    const prov = providerFor(e, groups[0]!)!
    const end = step(e.p, 'provision', `${name}: removing what is left of the environment`)
    try {
      const ctx = e.ctx(groups[0]!)
      removed.push(...(prov.teardown ? await prov.teardown(ctx) : (await prov.cleanup!(ctx), [])))
      end('nothing remains')
      for (const g of groups) delete state.groups[g]
    } catch (err) {
      end('failed', false)
      // a plugin's own failure is a provider failure too, named (never an internal error that loses the state)
      failures.push(err instanceof DopsError ? err : new DopsError('PROVIDER_ERROR', `${name}: removing what is left of the environment failed: ${(err as Error).message ?? String(err)}; run env down again`, {exitCode: ExitCode.PROVIDER_FAILED}))
    }
  }
  return failures
}

export async function envDown(p: EnvParams): Promise<DownReport> {
  const clock = phaseClock()
  const e = await loadEnv(p)
  const report = await e.store.withLock(async () => {
    const state = await readState(e)
    clock.lap('load')
    // what exists: the state's records, or (lost state) what the provider finds by its tags
    // (the groups are looked at together: a lost state costs one round of provider calls, not one per group)
    const found = await Promise.all(e.order.map(async (g) => {
      const type = providerOf(e.loaded, e.groups[g]!).type
      if (type === 'static') return []
      return state.groups[g]?.instances ?? (await getProvider(type)?.discover?.(e.ctx(g))) ?? []
    }))
    const doomed = new Map(e.order.map((g, i) => [g, found[i]!] as const).filter(([, list]) => list.length))
    clock.lap('observe')
    const count = [...doomed.values()].reduce((n, l) => n + l.length, 0)
    const scope = resourceScope(e.loaded, e.envName, e.t.projectDir, p.connection, p.reporter, p.stopSignal)
    const kinds = applyingKinds(scope, state)
    if (count) await confirmDestroy(p, `this destroys ${count} host(s) of ${e.envName} (${[...doomed].map(([g, l]) => `${g}: ${l.map((i) => i.name).join(', ')}`).join('; ')})${kinds.length ? ` and removes its ${kinds.join(', ')}` : ''}`)
    else if (kinds.length) await confirmDestroy(p, `this removes the ${kinds.join(', ')} of ${e.envName}`)
    const report: DownReport = {...newReport(e, 'down', newRunId()), removed: []}
    const everything = [...doomed.values()].flat()
    // 1. the groups that stay (static hosts) hear that these hosts leave: a static load balancer drops them first.
    // A handler that fails (its host unreachable) is a recorded failure (exit 3); the teardown goes on.
    const t1 = performance.now()
    await fireEvents(e, report, [...doomed].map(([g, l]) => [g, 'hostsLeft', l] as const), new Set(everything.map((i) => i.name)))
    report.phases.events = performance.now() - t1
    // 2. the apps are taken out of traffic and stopped
    await drain(e, report, everything)
    // 3. the environment's load balancers (and DNS records) go before any host, last kind first
    const t2 = performance.now()
    const res = await teardownResources(scope, state)
    report.removed.push(...res.removed)
    if (res.kinds.length) await e.store.write(state)
    // 4. the hosts go, the dependants first
    for (const g of [...e.order].reverse()) {
      const list = doomed.get(g)
      if (!list) continue
      if (p.stopSignal?.aborted) {
        report.exitCode = ExitCode.INTERRUPTED
        report.stopped = 'interrupted: the groups listed were destroyed, the others are left; run env down again to go on'
        break
      }
      const prov = providerOf(e.loaded, e.groups[g]!)
      const end = step(p, 'provision', `${g}: destroying ${list.length} host(s) (${prov.name})`)
      report.removed.push(...(await destroy(e, g, list)))
      end('destroyed')
      report.changes.push({group: g, provider: prov.name, keep: 0, create: 0, destroy: list.map((i) => i.name), pending: 0, updates: [], ignored: [], apps: []})
      report.steps.push({kind: 'destroy', group: g, hosts: list.map((i) => i.name)})
      // the hosts are gone; the rest of the group (its security group, ...) goes with the provider's teardown
      if (tornDown(e, g)) state.groups[g] = {...state.groups[g], provider: prov.type, instances: []}
      else delete state.groups[g]
      await e.store.write(state)
    }
    // 5. what is left of the environment (Auto Scaling groups, launch templates, security groups) goes with its
    // last host; only then do the groups' records leave the state
    const failures = [...res.failures, ...(report.stopped ? [] : await teardownAll(e, state, report.removed))]
    await e.store.write(state)
    // nothing of the environment's load balancers (and DNS records) may remain: found by their records and tags
    const left = res.failures.length || !res.kinds.length ? [] : await resourceLeftovers(scope, state, res.kinds)
    if (left.length) failures.push(new DopsError('PROVIDER_ERROR', `env down left behind: ${left.join(', ')}; run env down again`, {exitCode: ExitCode.PROVIDER_FAILED}))
    if (failures.length) throw failures.length === 1 ? failures[0]! : new DopsError(failures[0]!.code, failures.map((f) => f.message).join('\n'), {exitCode: failures[0]!.exitCode})
    if (!report.stopped && Object.values(e.groups).some((g) => providerOf(e.loaded, g).type === 'local')) {
      const {releaseLocalEnv} = await import('../providers/local/provider.js')
      await releaseLocalEnv(e.loaded.plan.project, e.envName, e.t.projectDir)
    }
    // static hosts stay as they are, and stay joined (their record is kept: the next env up does not bootstrap them again)
    const untouched = e.order.filter((g) => providerOf(e.loaded, e.groups[g]!).type === 'static').map((g) => ({group: g, hosts: e.t.hosts.filter((h) => h.group === g).map((h) => h.name)}))
    if (untouched.some((u) => u.hosts.length)) report.untouched = untouched.filter((u) => u.hosts.length)
    report.removed = [...new Set(report.removed)]
    report.phases.provision = performance.now() - t2
    report.changed = report.changes.length > 0 || report.removed.length > 0
    return clock.into(report) as DownReport
  })
  return (await journaled(e, report)) as DownReport
}
