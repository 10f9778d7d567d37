/**
 * Bring one local load balancer's nginx to what the plan and the state say now: its target groups' members (the
 * group's ready hosts), minus those a deploy took out of traffic; the configuration is rewritten and reloaded only
 * when it changed. Every change holds the load balancer's lock (lb-lock.ts).
 */
import type {ResourceScope, LbRecords} from '../../env/resources.js'
import type {LoadBalancerSpec} from '../../plan/types.js'
import type {EnvState, InstanceState} from '../../state/local-file.js'
import {lbModel, modelChanges, renderNginx, type LbModel} from './lb-config.js'
import {appliedModel, applyConfig, readDown, writeDown} from './lb-host.js'
import {withLbLock} from './lb-lock.js'

export const planLbs = (s: ResourceScope): Record<string, LoadBalancerSpec> => s.loaded.plan.environments?.[s.envName]?.loadBalancers ?? {}
export const lbRecords = (state: EnvState): LbRecords => (state.resources?.loadBalancers ?? {}) as LbRecords

/** The addresses of a group's hosts: the ready ones (members), or all it has (a host out of the state is forgotten). */
export function groupAddresses(state: EnvState, group: string, readyOnly: boolean): string[] {
  const list: Array<{address: string; ready?: boolean}> = state.static?.[group]?.hosts ?? state.groups[group]?.instances ?? []
  return list.filter((h) => !readyOnly || h.ready !== false).map((h) => h.address)
}

/** the lock's bound: a reload waiting for old workers may take the drain time */
const lockTimeout = (spec: LoadBalancerSpec) => (lbModel(spec, '', () => [], new Set()).drain + 60) * 1000

export function desiredModel(spec: LoadBalancerSpec, host: InstanceState, state: EnvState, down: Set<string>): LbModel {
  return lbModel(spec, host.address, (g) => groupAddresses(state, g, true), down)
}

/**
 * Apply what the plan and state say (`change` may first edit the set of targets out of traffic); returns the
 * `env plan`-style lines of what changed. `waitOld`: the reload returns only once the old workers are gone.
 */
export async function updateLb(s: ResourceScope, name: string, spec: LoadBalancerSpec, host: InstanceState, state: EnvState | undefined, o: {change?: (down: Set<string>) => void; waitOld?: boolean; force?: boolean} = {}): Promise<string[]> {
  return withLbLock(String(host.data.dir), lockTimeout(spec), async () => {
    const down = await readDown(host)
    const before = [...down].sort().join('\n')
    o.change?.(down)
    const have = await appliedModel(host)
    // traffic control (no state): only which members are out of traffic changes; membership is follow's
    if (!state) {
      if ([...down].sort().join('\n') !== before) await writeDown(host, down)
      if (!have) throw new Error(`load balancer ${name} has no configuration yet (run env up)`)
      const want: LbModel = {...have, upstreams: Object.fromEntries(Object.entries(have.upstreams).map(([u, g]) => [u, {...g, servers: g.servers.map((x) => ({...x, down: down.has(`${g.targetGroup} ${x.target}`)}))}]))}
      if (JSON.stringify(have) === JSON.stringify(want)) return []
      await applyConfig(s, host, want, renderNginx(want), !!o.waitOld)
      return modelChanges(name, have, want)
    }
    // a target whose host is not in the state any more is forgotten (its address may come back as another host)
    for (const entry of [...down]) {
      const [tg, target] = entry.split(' ')
      const g = spec.targetGroups[tg!]
      if (!g || !groupAddresses(state, g.group, false).some((a) => `${a}:${g.port}` === target)) down.delete(entry)
    }
    if ([...down].sort().join('\n') !== before) await writeDown(host, down)
    const want = desiredModel(spec, host, state, down)
    if (!o.force && have && JSON.stringify(have) === JSON.stringify(want)) return []
    await applyConfig(s, host, want, renderNginx(want), !!o.waitOld && !!have)
    return have ? modelChanges(name, have, want) : [`~ load balancer ${name}: configuration written`]
  })
}
