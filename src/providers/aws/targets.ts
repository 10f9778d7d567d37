/**
 * Targets of ELBv2 target groups: hosts registered as they become ready and deregistered as they leave (a group with
 * an Auto Scaling group is attached instead, and left to it), and a deploy's traffic control through a target group:
 * BlockTraffic deregisters the host and waits until it is out (draining: keep waiting), AllowTraffic registers it
 * and waits until it is healthy, each within the app's `traffic.timeout` (default: the target group's deregistration
 * delay + 60 s, as draining lasts up to the delay).
 */
import {InvalidInputError} from '../../errors.js'
import type {ResourceScope, TrafficControl} from '../../env/resources.js'
import type {Host} from '../../inventory/host.js'
import type {EnvState} from '../../state/local-file.js'
import {parseDuration} from '../../util/duration.js'
import {lbTags, targetGroupName} from './elb-names.js'
import {lbRecords} from '../../env/load-balancers.js'
import {deregisterTargets, elbApi, findTargetGroup, forgetTargetGroup, forgetTargetGroupArns, healthOf, registerTargets, targetHealth, type ElbApi, type ElbSettings, type FoundTargetGroup, type TargetHealthOf} from './targets-api.js'
import {healthText, isIn, isOut, lbProviderName, locateTargetGroup, membershipChanges, pollDelay} from './targets-logic.js'

/** Beyond the deregistration delay, how long a deploy waits by default (draining lasts up to the delay). */
export const TRAFFIC_TIMEOUT_MARGIN_MS = 60_000
const DEFAULT_DELAY_MS = 300_000

/** The ids this process last made each target group's members (by client and name): nothing to do when unchanged. */
const applied = new Map<string, Set<string>>()

/** After a state write: register the ready hosts of each target group's group, deregister those gone; returns what changed. */
export async function followTargets(s: ResourceScope, names: string[], state: EnvState): Promise<string[]> {
  const env = s.loaded.plan.environments?.[s.envName]
  const out: string[] = []
  for (const lb of names) {
    const lbSpec = env?.loadBalancers?.[lb]
    if (!lbSpec) continue
    const api = elbApi(s.provider(lbProviderName(env, lbSpec)).settings as ElbSettings)
    for (const [tgKey, tgSpec] of Object.entries(lbSpec.targetGroups ?? {})) {
      const group = state.groups[tgSpec.group]
      const spec = env?.groups?.[tgSpec.group]
      // an Auto Scaling group is attached to the target group (the load balancer's reconcile) and registers its own
      if (!group || !spec || (spec.instance as {autoScaling?: unknown} | undefined)?.autoScaling) continue
      if (s.provider(group.provider).type !== 'aws') continue
      const desired = group.instances.filter((i) => i.ready !== false).map((i) => i.id).sort()
      const name = targetGroupName(s.loaded.plan.project, s.envName, lb, tgKey)
      const key = `${api.where} ${name}`
      const last = applied.get(key)
      if (last && last.size === desired.length && desired.every((id) => last.has(id))) continue
      const tg = await findOwnOrPassing(api, s, lb, tgKey)
      if (!tg) continue // not made yet: the load balancers' reconcile registers the members it finds
      try {
        const ch = membershipChanges(desired, await targetHealth(api, tg), last)
        await registerTargets(api, tg, ch.register)
        await deregisterTargets(api, tg, ch.deregister)
        applied.set(key, new Set(desired))
        const nameOf = (id: string) => group.instances.find((i) => i.id === id)?.name ?? id
        out.push(...ch.register.map((id) => `+ target ${nameOf(id)} (${id}) in target group ${tgKey} of load balancer ${lb}`))
        out.push(...ch.deregister.map((id) => `- target ${nameOf(id)} (${id}) from target group ${tgKey} of load balancer ${lb}`))
      } catch (e) {
        forgetTargetGroupArns([tg.arn])
        applied.delete(key)
        throw e
      }
    }
  }
  return out
}

/** The target group under its own name, else under its passing one (a replacement under way); tags checked. */
async function findOwnOrPassing(api: ElbApi, s: ResourceScope, lb: string, tg: string): Promise<FoundTargetGroup | undefined> {
  const [p, e] = [s.loaded.plan.project, s.envName]
  const want = lbTags(p, e, lb, tg)
  return (await findTargetGroup(api, targetGroupName(p, e, lb, tg), want)) ?? (await findTargetGroup(api, targetGroupName(p, e, lb, `${tg}.2`), want))
}

/** How long deploys wait on target group `tg`: the longest `traffic.timeout` of the apps using it, default its deregistration delay + 60 s. */
export function trafficTimeoutMs(s: ResourceScope, tg: string, delayMs = DEFAULT_DELAY_MS): number {
  const ms = Object.values(s.loaded.plan.apps ?? {})
    .map((a) => a.traffic as {targetGroup?: string; timeout?: string | number} | undefined)
    .filter((t) => t?.targetGroup === tg && t.timeout !== undefined)
    .map((t) => parseDuration(t!.timeout)!)
  return ms.length ? Math.max(...ms) : delayMs + TRAFFIC_TIMEOUT_MARGIN_MS
}

/** A deploy's BlockTraffic/AllowTraffic through target group `targetGroup` of the environment's load balancers. */
export async function targetTraffic(s: ResourceScope, targetGroup: string, state: EnvState): Promise<TrafficControl> {
  const env = s.loaded.plan.environments?.[s.envName]
  const own = locateTargetGroup(env, targetGroup)
  if (typeof own === 'string') throw new InvalidInputError(`environment ${s.envName}: ${own}`)
  const api = elbApi(s.provider(lbProviderName(env, own.lbSpec)).settings as ElbSettings)
  const name = targetGroupName(s.loaded.plan.project, s.envName, own.lb, targetGroup)
  const delay = own.tgSpec.deregistrationDelay
  const timeoutMs = trafficTimeoutMs(s, targetGroup, delay === undefined ? DEFAULT_DELAY_MS : parseDuration(delay)!)
  const label = `target group ${targetGroup} of load balancer ${own.lb} (${name})`
  const idOf = (h: Host) => state.groups[h.group]?.instances.find((i) => i.name === h.name)?.id
  const step = async (h: Host, what: 'block' | 'allow', signal?: AbortSignal): Promise<string | undefined> => {
    const id = idOf(h)
    if (!id) return `host ${h.name} is not an instance in environment ${s.envName}'s state: ${label} registers the aws instances of group ${own.tgSpec.group}`
    try {
      const tg = await findOwnOrPassing(api, s, own.lb, targetGroup)
      // a host cannot be in a target group that is not there (not made yet, or removed before the hosts by env down);
      // but while the state records its load balancer, a missing group is not "out": the host may still get traffic
      if (!tg && what === 'block' && lbRecords(state)[own.lb]) return `${label} does not exist, yet load balancer ${own.lb} is recorded in environment ${s.envName}'s state: host ${h.name} may still get traffic (dops env up -e ${s.envName} repairs the load balancer)`
      if (!tg) return what === 'block' ? undefined : `${label} does not exist (dops env up -e ${s.envName} creates it)`
      if (what === 'block') await deregisterTargets(api, tg, [id])
      else await registerTargets(api, tg, [id])
      const why = await waitFor(api, tg, id, what === 'block' ? isOut : isIn, timeoutMs, signal, (last, waited) =>
        what === 'block' ? `host ${h.name} (${id}) is still ${healthText(last)} in ${label} after ${secs(waited)} (traffic.timeout)` : `host ${h.name} (${id}) is ${healthText(last)} in ${label} after ${secs(waited)} (traffic.timeout), not healthy`,
      )
      if (!why || what === 'allow') return why
      // not out in time: the host keeps serving the revision it runs rather than stay half out
      const back = await registerTargets(api, tg, [id]).then(() => 'registered again: it keeps serving its current revision', (e: Error) => `registering it again failed too: ${e.message}`)
      return `${why}; ${back}`
    } catch (e) {
      forgetTargetGroup(api, name)
      forgetTargetGroup(api, targetGroupName(s.loaded.plan.project, s.envName, own.lb, `${targetGroup}.2`))
      if (what === 'block' && /TargetGroupNotFound/.test((e as Error).message) && !lbRecords(state)[own.lb] && !(await findOwnOrPassing(api, s, own.lb, targetGroup).catch(() => 'unknown'))) return undefined
      return `${what === 'block' ? 'deregistering' : 'registering'} host ${h.name} (${id}) in ${label}: ${(e as Error).message}`
    }
  }
  return {describe: label, block: (h, signal) => step(h, 'block', signal), allow: (h, signal) => step(h, 'allow', signal)}
}

const secs = (ms: number) => (ms >= 60_000 && ms % 60_000 === 0 ? `${ms / 60_000}m` : `${Math.round(ms / 100) / 10}s`)

/** Poll the target's health until `done` says so, the timeout passes (an error text) or the signal aborts. */
async function waitFor(api: ElbApi, tg: FoundTargetGroup, id: string, done: (h: TargetHealthOf) => boolean, timeoutMs: number, signal: AbortSignal | undefined, late: (last: TargetHealthOf, waited: number) => string): Promise<string | undefined> {
  const t0 = Date.now()
  for (let attempt = 0; ; attempt++) {
    const h = await healthOf(api, tg, id)
    if (done(h)) return undefined
    if (signal?.aborted) return `interrupted while ${id} was ${healthText(h)} in target group ${tg.name}`
    const left = t0 + timeoutMs - Date.now()
    if (left <= 0) return late(h, timeoutMs)
    await new Promise((r) => setTimeout(r, Math.min(left, pollDelay(attempt))))
  }
}
