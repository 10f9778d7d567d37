/**
 * The pure parts of target registration: which load balancer owns a target group, what a target's health means for
 * a deploy's wait (out of service, in service, keep waiting), and what a membership change registers and deregisters.
 */
import type {EnvironmentSpec, LoadBalancerSpec, TargetGroupSpec} from '../../plan/types.js'
import type {TargetHealthOf} from './targets-api.js'

export interface OwnedTargetGroup {
  lb: string
  lbSpec: LoadBalancerSpec
  tg: string
  tgSpec: TargetGroupSpec
}

/** The load balancer of the environment that has target group `tg`; a text saying why not when none or several do. */
export function locateTargetGroup(env: EnvironmentSpec | undefined, tg: string): OwnedTargetGroup | string {
  const owners = Object.entries(env?.loadBalancers ?? {}).filter(([, lb]) => Object.hasOwn(lb.targetGroups ?? {}, tg))
  if (!owners.length) {
    const known = Object.entries(env?.loadBalancers ?? {}).flatMap(([lb, s]) => Object.keys(s.targetGroups ?? {}).map((t) => `${t} (load balancer ${lb})`))
    return `target group \`${tg}\` is not under any of the environment's loadBalancers (target groups: ${known.join(', ') || 'none'})`
  }
  if (owners.length > 1) return `target group \`${tg}\` is in several load balancers (${owners.map(([n]) => n).join(', ')}): give the target groups distinct names`
  const [lb, lbSpec] = owners[0]!
  return {lb, lbSpec, tg, tgSpec: lbSpec.targetGroups[tg]!}
}

/** The provider name of a load balancer: its own, else that of the group of its first target group (or the environment's default). */
export function lbProviderName(env: EnvironmentSpec | undefined, lbSpec: LoadBalancerSpec): string {
  if (lbSpec.provider) return lbSpec.provider
  const first = Object.values(lbSpec.targetGroups ?? {})[0]
  return (first && env?.groups?.[first.group]?.provider) ?? env?.provider ?? 'static'
}

/** After DeregisterTargets: gone from the list or `unused` = out; `draining` (or not yet processed) = wait. */
export function isOut(h: TargetHealthOf): boolean {
  return h.state === 'absent' || h.state === 'unused'
}

/** After RegisterTargets: `healthy` = in service; `initial`, `unhealthy`, `unused` (e.g. not running) = wait. */
export function isIn(h: TargetHealthOf): boolean {
  return h.state === 'healthy'
}

/** A health state in words, for errors: `draining (Target.DeregistrationInProgress: ...)`. */
export function healthText(h: TargetHealthOf): string {
  const why = [h.reason, h.description].filter(Boolean).join(': ')
  return `${h.state === 'absent' ? 'not registered' : h.state}${why ? ` (${why})` : ''}`
}

/**
 * What to register and deregister: the desired ids not registered, the registered ids not desired. With `last` (the
 * desired set this process applied before), only the newcomers since then are registered: a member that is out now
 * was taken out on purpose (a deploy's BlockTraffic) and is left to whoever did it. Draining targets count as out.
 */
export function membershipChanges(desired: string[], current: Map<string, TargetHealthOf>, last?: Set<string>): {register: string[]; deregister: string[]} {
  const want = new Set(desired)
  const registered = [...current].filter(([, h]) => h.state !== 'draining' && h.state !== 'unused').map(([id]) => id)
  const have = new Set(registered)
  return {
    register: desired.filter((id) => !have.has(id) && (!last || !last.has(id))).sort(),
    deregister: registered.filter((id) => !want.has(id)).sort(),
  }
}

/** The poll interval for a wait: quick at first (moto and a fast deregistration answer at once), then every 2 s. */
export const pollDelay = (attempt: number) => Math.min(2000, 250 * 2 ** attempt)
