/** `dops env status`: the application-centred view of an environment. */
import {getProvider} from '../providers/registry.js'
import {loadEnv, providerOf, readState} from './context.js'
import {toInstance} from './static-hosts.js'
import type {EnvParams} from './types.js'

/** `stopped`: the provider has it but it does not run (env up starts it again) */
export type HostState = 'running' | 'stopped' | 'gone' | 'static'

export interface EnvStatus {
  project: string
  env: string
  groups: Array<{
    group: string
    provider: string
    hosts: Array<{name: string; address: string; state: HostState; ready?: boolean; reachable?: boolean; revisions: Record<string, string | undefined>; health: Record<string, {healthy: boolean; reason?: string} | undefined>}>
    apps: Array<{app: string; revision?: string; differing: string[]}>
  }>
}

/** The application-centred view: groups, hosts, their provider state, the app revision each runs, and health. */
export async function envStatus(p: EnvParams): Promise<EnvStatus> {
  const e = await loadEnv(p)
  const state = await readState(e)
  const {statusJob} = await import('../deploy/status-job.js')
  const apps = [...new Set(e.order.flatMap((g) => e.groups[g]!.apps ?? []))]
  const byApp = new Map<string, Awaited<ReturnType<typeof statusJob>>>()
  for (const app of apps) byApp.set(app, await statusJob({source: p.source, selection: {}, connection: p.connection, app, health: true}))
  const out: EnvStatus = {project: e.loaded.plan.project, env: e.envName, groups: []}
  for (const g of e.order) {
    const spec = e.groups[g]!
    const prov = providerOf(e.loaded, spec)
    const provider = prov.type === 'static' ? undefined : getProvider(prov.type)
    // a static host is ready once it joined (recorded, bootstrapped); one the state does not know yet is not
    const joined = prov.type === 'static' ? (state.static?.[g]?.hosts ?? []).map(toInstance) : undefined
    const recorded = joined ?? state.groups[g]?.instances ?? []
    const live = provider ? new Set((await provider.alive(e.ctx(g), recorded)).map((i) => i.name)) : undefined
    const missing = live ? recorded.filter((r) => !live.has(r.name)) : []
    const stopped = new Set(missing.length && provider?.stopped ? (await provider.stopped(e.ctx(g), missing)).map((i) => i.name) : [])
    const hosts = e.t.hosts.filter((h) => h.group === g)
    out.groups.push({
      group: g,
      provider: prov.name,
      hosts: [
        ...hosts.map((h) => ({
          name: h.name,
          address: h.address,
          state: (live ? (live.has(h.name) ? 'running' : stopped.has(h.name) ? 'stopped' : 'gone') : 'static') as HostState,
          reachable: (spec.apps ?? []).length ? byApp.get(spec.apps![0]!)?.hosts.find((x) => x.host === h.name)?.reachable : undefined,
          revisions: Object.fromEntries((spec.apps ?? []).map((a) => [a, byApp.get(a)?.hosts.find((x) => x.host === h.name)?.revision])),
          health: Object.fromEntries(
            (spec.apps ?? []).map((a) => {
              const st = byApp.get(a)?.hosts.find((x) => x.host === h.name)
              return [a, st?.healthy === undefined ? undefined : {healthy: st.healthy, ...(st.healthReason ? {reason: st.healthReason} : {})}]
            }),
          ),
          ready: joined ? (joined.find((r) => r.name === h.name)?.ready ?? false) : recorded.find((r) => r.name === h.name)?.ready,
        })),
      ],
      apps: (spec.apps ?? []).map((a) => ({app: a, revision: byApp.get(a)?.groups[g]?.revision, differing: byApp.get(a)?.groups[g]?.differing ?? []})),
    })
  }
  return out
}
