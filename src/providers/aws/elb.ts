/**
 * The aws LbBackend (ELBv2), registered when imported: application and network load balancers with their security
 * group, target groups, listeners and rules brought to the plan by `env up` (shown by `env plan`), removed when the
 * plan drops them and by `env down`. What it made is recorded in `state.resources.loadBalancers` (LbRecord). Targets
 * follow membership and deploys' traffic control through targets.ts.
 */
import {DopsError} from '../../errors.js'
import {lbProvider, lbRecords, planLbs} from '../../env/load-balancers.js'
import {registerLbBackend, type LbBackend, type LbRecord, type LbRecords, type ResourceScope} from '../../env/resources.js'
import type {EnvState} from '../../state/local-file.js'
import type {ProviderContext} from '../types.js'
import {lbType} from './elb-desired.js'
import {convergeLb} from './elb-lb.js'
import {elbSdk, lbCtx, planCtx} from './elb-sdk.js'
import {describeFound, discoverLbs, removeFound} from './elb-teardown.js'
import {followTargets, targetTraffic} from './targets.js'

/** The records of this backend, made when missing (up writes them; plan never does). */
function records(state: EnvState): LbRecords {
  state.resources ??= {}
  state.resources.loadBalancers ??= {}
  return state.resources.loadBalancers as LbRecords
}

const recordedOf = (r: LbRecord) => ({lbs: r.arn ? [r.arn] : [], tgs: Object.values(r.targetGroups ?? {}).flatMap((t) => (t.arn ? [t.arn] : [])), sgs: r.securityGroup ? [r.securityGroup] : []})

/** The provider's errors name the load balancer, not the pseudo-group its context carries (`lb.NAME`). */
async function named<T>(work: Promise<T>): Promise<T> {
  try {
    return await work
  } catch (e) {
    if (e instanceof DopsError) e.message = e.message.replace(/aws \(group lb\.([a-z0-9*-]+)\)/g, (_m, lb: string) => (lb === '*' ? 'aws (load balancers)' : `aws (load balancer ${lb})`))
    throw e
  }
}

async function converge(s: ResourceScope, names: string[], state: EnvState, apply: boolean): Promise<string[]> {
  const lines: string[] = []
  const specs = planLbs(s)
  const recs = lbRecords(state)
  for (const name of names) {
    const {ctx, provider} = planCtx(s, name, specs[name]!)
    const out = await convergeLb(s, ctx, await elbSdk(ctx), name, specs[name]!, provider, state, apply)
    lines.push(...out.lines)
    if (apply && out.record) records(state)[name] = out.record
  }
  // load balancers dops made that the plan no longer has: removed with their target groups and security group
  for (const [name, rec] of Object.entries(recs)) {
    if (rec.type !== 'aws' || names.includes(name)) continue
    lines.push(`- load balancer ${name} (with its listeners, target groups and security group)`)
    if (!apply) continue
    const ctx = lbCtx(s, name, s.provider(rec.provider).settings)
    const e = await elbSdk(ctx)
    await removeFound(ctx, e, await discoverLbs(ctx, e, name), recordedOf(rec))
    delete records(state)[name]
  }
  return lines
}

/** One context per provider entry that has (or had) load balancers of this backend: tag lookups are per region. */
function contexts(s: ResourceScope, state: EnvState): Array<{provider: string; ctx: ProviderContext}> {
  const names = new Set<string>()
  for (const [name, spec] of Object.entries(planLbs(s))) {
    try {
      const p = lbProvider(s, name, spec)
      if (p.type === 'aws') names.add(p.name)
    } catch {
      // a load balancer without a provider makes nothing (the plan checks say so)
    }
  }
  for (const r of Object.values(lbRecords(state))) if (r.type === 'aws') names.add(r.provider)
  return [...names].map((provider) => ({provider, ctx: lbCtx(s, '*', s.provider(provider).settings)}))
}

async function teardown(s: ResourceScope, state: EnvState): Promise<string[]> {
  const removed: string[] = []
  const recs = lbRecords(state)
  for (const {provider, ctx} of contexts(s, state)) {
    const e = await elbSdk(ctx)
    const mine = Object.entries(recs).filter(([, r]) => r.type === 'aws' && r.provider === provider)
    const recorded = mine.map(([, r]) => recordedOf(r)).reduce((a, b) => ({lbs: [...a.lbs, ...b.lbs], tgs: [...a.tgs, ...b.tgs], sgs: [...a.sgs, ...b.sgs]}), {lbs: [], tgs: [], sgs: []})
    removed.push(...(await removeFound(ctx, e, await discoverLbs(ctx, e), recorded)))
    for (const [name] of mine) delete records(state)[name]
  }
  return removed
}

async function leftovers(s: ResourceScope, state: EnvState): Promise<string[]> {
  const out: string[] = []
  for (const {ctx} of contexts(s, state)) out.push(...describeFound(await discoverLbs(ctx, await elbSdk(ctx))))
  return out
}

export const awsLb: LbBackend = {
  type: 'aws',
  drift: (s, names, state) => named(converge(s, names, state, false)),
  reconcile: (s, names, state) => named(converge(s, names, state, true)),
  follow: (s, names, state) => followTargets(s, names, state),
  teardown: (s, state) => named(teardown(s, state)),
  leftovers: (s, state) => named(leftovers(s, state)),
  ignoredFields(s, name) {
    const spec = planLbs(s)[name]
    if (!spec || lbType(spec) !== 'network') return []
    // a network load balancer has no security group dops manages, no idle timeout and no listener rules
    return [...(spec.firewall ? ['firewall'] : []), ...(spec.securityGroups ? ['securityGroups'] : []), ...(spec.idleTimeout !== undefined ? ['idleTimeout'] : []), ...(spec.listeners.some((l) => l.rules?.length) ? ['listeners.rules'] : [])]
  },
  traffic: (s, tg, state) => targetTraffic(s, tg, state),
}
registerLbBackend(awsLb)
