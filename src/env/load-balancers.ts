/**
 * The `loadBalancers` EnvResource: each load balancer of the environment goes to the backend of its provider's type
 * (`lbBackends`: aws = ELBv2, local = nginx on a sandbox host). Its provider is its `provider`, else that of the
 * group of its first target group. A load balancer the plan no longer has is removed by the backend that recorded
 * it (`state.resources.loadBalancers`). Backends are loaded only when an environment has a load balancer of theirs.
 */
import {InvalidInputError} from '../errors.js'
import type {LoadBalancerSpec} from '../plan/types.js'
import type {EnvState} from '../state/local-file.js'
import {lbBackends, type EnvResource, type LbBackend, type LbRecords, type ResourceScope, type TrafficControl} from './resources.js'

/**
 * Where each provider type's backend lives (it registers itself with registerLbBackend when imported): filled by
 * src/env/resources-list.ts, one line per backend.
 */
export const lbBackendModules: Record<string, () => Promise<unknown>> = {}

export const planLbs = (s: ResourceScope): Record<string, LoadBalancerSpec> => s.loaded.plan.environments?.[s.envName]?.loadBalancers ?? {}
export const lbRecords = (state: EnvState): LbRecords => (state.resources?.loadBalancers ?? {}) as LbRecords

/** The provider (name, type, settings) that makes load balancer `name`: its own, else its first target group's group's. */
export function lbProvider(s: ResourceScope, name: string, spec: LoadBalancerSpec): {name: string; type: string; settings: Record<string, unknown>} {
  if (spec.provider) return s.provider(spec.provider)
  const env = s.loaded.plan.environments?.[s.envName]
  const first = Object.values(spec.targetGroups ?? {})[0]
  const group = first ? env?.groups?.[first.group] : undefined
  if (!group) throw new InvalidInputError(`load balancer ${name} of environment ${s.envName}: no provider (give it \`provider\`, or a target group whose \`group\` is a group of the environment)`)
  return s.provider(group.provider ?? env?.provider ?? 'static')
}

export async function loadLbBackend(type: string, what: string): Promise<LbBackend> {
  if (!lbBackends.has(type)) {
    await import('./resources-list.js')
    await lbBackendModules[type]?.()
  }
  const b = lbBackends.get(type)
  if (!b) throw new InvalidInputError(`${what}: provider type \`${type}\` makes no load balancers (types that do: ${Object.keys(lbBackendModules).join(', ')})`)
  return b
}

/** Per backend type: the plan's load balancers it makes (recorded ones of that type the plan lacks are its to remove). */
async function byType(s: ResourceScope, state: EnvState): Promise<Array<[LbBackend, string[]]>> {
  const names = new Map<string, string[]>()
  for (const [name, spec] of Object.entries(planLbs(s))) {
    const t = lbProvider(s, name, spec).type
    names.set(t, [...(names.get(t) ?? []), name])
  }
  for (const r of Object.values(lbRecords(state))) if (!names.has(r.type)) names.set(r.type, [])
  const out: Array<[LbBackend, string[]]> = []
  for (const [t, list] of names) out.push([await loadLbBackend(t, `load balancer(s) ${list.join(', ') || '(recorded)'} of environment ${s.envName}`), list])
  return out
}

const each = async (s: ResourceScope, state: EnvState, f: (b: LbBackend, names: string[]) => Promise<string[] | undefined>) => {
  const out: string[] = []
  for (const [b, names] of await byType(s, state)) out.push(...((await f(b, names)) ?? []))
  return out
}

export const loadBalancers: EnvResource & {ignored(s: ResourceScope): string[]} = {
  key: 'loadBalancers',
  applies: (s, state) => Object.keys(planLbs(s)).length > 0 || Object.keys(lbRecords(state)).length > 0,
  drift: (s, state) => each(s, state, (b, names) => b.drift(s, names, state)),
  reconcile: (s, state) => each(s, state, (b, names) => b.reconcile(s, names, state)),
  // only load balancers that were made (recorded) have targets to follow
  follow: (s, state) => each(s, state, async (b, names) => b.follow?.(s, names.filter((n) => Object.hasOwn(lbRecords(state), n)), state)),
  async teardown(s, state) {
    const out = await each(s, state, (b) => b.teardown(s, state))
    if (state.resources && !Object.keys(lbRecords(state)).length) delete state.resources.loadBalancers
    return out
  },
  leftovers: (s, state) => each(s, state, async (b) => b.leftovers?.(s, state)),
  /** `NAME: key` for each plan key a load balancer's backend ignores (backends loaded by drift before) */
  ignored(s) {
    const out: string[] = []
    for (const [name, spec] of Object.entries(planLbs(s))) {
      const b = lbBackends.get(lbProvider(s, name, spec).type)
      for (const k of b?.ignoredFields?.(s, name) ?? []) out.push(`${name}: ${k}`)
    }
    return out
  },
}

/** A deploy's traffic control through target group `targetGroup` (found in the environment's load balancers). */
export async function trafficThrough(s: ResourceScope, targetGroup: string, state: EnvState): Promise<TrafficControl> {
  const lb = Object.entries(planLbs(s)).find(([, spec]) => Object.hasOwn(spec.targetGroups ?? {}, targetGroup))
  if (!lb) throw new InvalidInputError(`target group \`${targetGroup}\` is not a target group of a load balancer of environment ${s.envName}`)
  const b = await loadLbBackend(lbProvider(s, lb[0], lb[1]).type, `load balancer ${lb[0]}`)
  return b.traffic(s, targetGroup, state)
}
