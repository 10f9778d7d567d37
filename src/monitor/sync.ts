/**
 * Monitoring follows membership: every time an env command records the environment's state (a host created,
 * prepared, destroyed, forgotten, joined or left), the target files of the groups whose hosts changed are rewritten.
 * A failed write is a warning: the hosts were changed, and the next write tries again.
 */
import path from 'node:path'
import type {Reporter} from '../events.js'
import type {LoadedPlan} from '../plan/types.js'
import type {EnvState, StateBackend} from '../state/local-file.js'
import {groupTargets, monitoredHosts, type GroupTargets} from './targets.js'
import {writeTargetFile, type WriteOutcome} from './write.js'

export interface MonitorScope {
  loaded: LoadedPlan
  envName: string
  /** labels of a host by name (static hosts: their own; provider hosts: their group's) */
  labelsOf: (group: string, name: string) => Record<string, string>
}

/** A host's labels: its own when the plan or inventory lists it (static), else its group's. */
export function labelsFrom(hosts: Array<{group: string; name: string; labels: Record<string, string>}>, groups: Record<string, {labels?: Record<string, unknown>}>): MonitorScope['labelsOf'] {
  return (group, name) => hosts.find((h) => h.group === group && h.name === name)?.labels ?? Object.fromEntries(Object.entries(groups[group]?.labels ?? {}).map(([k, v]) => [k, String(v)]))
}

export function targetsDir(loaded: LoadedPlan): string | undefined {
  const dir = loaded.plan.monitoring?.targets.dir
  return dir === undefined ? undefined : path.resolve(loaded.dir, dir)
}

/** Every group's targets as the state says now. */
export function envTargets(s: MonitorScope, state: EnvState): GroupTargets[] {
  const m = s.loaded.plan.monitoring
  if (!m) return []
  const groups = s.loaded.plan.environments?.[s.envName]?.groups ?? {}
  return Object.entries(groups).map(([group, spec]) =>
    groupTargets({project: s.loaded.plan.project, env: s.envName, group, spec, monitoring: m, hosts: monitoredHosts(state, group, (n) => s.labelsOf(group, n))}),
  )
}

export async function syncTargets(s: MonitorScope, state: EnvState): Promise<Array<{group: string; file: string; outcome: WriteOutcome; targets: number}>> {
  const dir = targetsDir(s.loaded)
  if (!dir) return []
  const out = []
  for (const g of envTargets(s, state)) out.push({group: g.group, file: path.join(dir, g.file), outcome: await writeTargetFile(dir, g), targets: g.targets.length})
  return out
}

/** Make `store.write` also rewrite the target files that changed (a plan without `monitoring:` is left as it is). */
export function followMembership<T extends StateBackend>(store: T, s: MonitorScope, reporter?: Reporter): T {
  if (!targetsDir(s.loaded)) return store
  const write = store.write.bind(store)
  store.write = async (state: EnvState) => {
    await write(state)
    const t0 = performance.now()
    try {
      for (const r of await syncTargets(s, state)) {
        if (r.outcome === 'unchanged' || r.outcome === 'absent') continue
        const ms = performance.now() - t0
        reporter?.({type: 'env.step', phase: 'monitoring', text: `${r.group}: ${r.outcome === 'removed' ? 'targets removed' : `${r.targets} target(s) written`} (${r.file})`, state: 'end', ok: true, ms})
      }
    } catch (e) {
      reporter?.({type: 'warning', message: `monitoring targets not written: ${(e as Error).message}; the next env command writes them again`})
    }
  }
  return store
}
