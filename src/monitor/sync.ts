/**
 * Monitoring follows membership: every time an env command records the environment's state (a host created,
 * prepared, destroyed, forgotten, joined or left), the target files of the groups whose hosts changed are rewritten.
 * A failed write is a warning: the hosts were changed, and the next write tries again.
 */
import path from 'node:path'
import type {Reporter} from '../events.js'
import type {Host} from '../inventory/host.js'
import type {LoadedPlan} from '../plan/types.js'
import type {EnvState, StateBackend} from '../state/local-file.js'
import {createSshTransport, type TransportSettings} from '../transport/factory.js'
import {localSink, sshSink, type TargetSink} from './sink.js'
import {groupTargets, monitoredHosts, type GroupTargets} from './targets.js'
import {targetsContent} from './write.js'

export interface MonitorScope {
  loaded: LoadedPlan
  envName: string
  projectDir: string
  /** labels of a host by name (static hosts: their own; provider hosts: their group's) */
  labelsOf: (group: string, name: string) => Record<string, string>
  connection?: Omit<TransportSettings, 'projectDir' | 'planSsh' | 'onHostKeyLearned'>
}

/** A host's labels: its own when the plan or inventory lists it (static), else its group's. */
export function labelsFrom(hosts: Array<{group: string; name: string; labels: Record<string, string>}>, groups: Record<string, {labels?: Record<string, unknown>}>): MonitorScope['labelsOf'] {
  return (group, name) => hosts.find((h) => h.group === group && h.name === name)?.labels ?? Object.fromEntries(Object.entries(groups[group]?.labels ?? {}).map(([k, v]) => [k, String(v)]))
}

/** Where the plan's target files go, or undefined when it has no `monitoring:`. */
export function targetSink(s: MonitorScope): TargetSink | undefined {
  const t = s.loaded.plan.monitoring?.targets
  if (!t) return undefined
  if (!t.host) return localSink(path.resolve(s.loaded.dir, t.dir))
  const name = t.host
  let found: Promise<Host> | undefined
  // a host of the plan (its environment `targets.env`, default this one) by name, else an address or ssh_config alias
  const host = () =>
    (found ??= import('../ops/one-host.js').then(({resolveOneHost}) =>
      resolveOneHost({source: {cwd: s.projectDir, planFile: s.loaded.file, env: t.env ?? s.envName}, connection: s.connection ?? {}, host: name}).then(
        (r) => r.host,
        () => ({name, address: name, group: 'monitoring', groups: ['monitoring'], labels: {}, vars: {}, ssh: s.loaded.plan.ssh}) as Host,
      ),
    ))
  const transport = () => createSshTransport({...s.connection, projectDir: s.projectDir, planSsh: s.loaded.plan.ssh})
  return sshSink(t.dir, host, transport, name)
}

/** Every group's targets as the state says now. */
export function envTargets(s: Pick<MonitorScope, 'loaded' | 'envName' | 'labelsOf'>, state: EnvState): GroupTargets[] {
  const m = s.loaded.plan.monitoring
  if (!m) return []
  const groups = s.loaded.plan.environments?.[s.envName]?.groups ?? {}
  return Object.entries(groups).map(([group, spec]) =>
    groupTargets({project: s.loaded.plan.project, env: s.envName, group, spec, monitoring: m, hosts: monitoredHosts(state, group, (n) => s.labelsOf(group, n))}),
  )
}

/** Make `store.write` also rewrite the target files that changed (a plan without `monitoring:` is left as it is). */
export function followMembership<T extends StateBackend>(store: T, s: MonitorScope, reporter?: Reporter): T {
  const sink = targetSink(s)
  if (!sink) return store
  const write = store.write.bind(store)
  store.write = async (state: EnvState) => {
    await write(state)
    const t0 = performance.now()
    try {
      const files = envTargets(s, state).map((g) => ({file: g.file, text: targetsContent(g), n: g.targets.length, group: g.group}))
      for (const r of await sink.apply(files)) {
        if (r.outcome === 'unchanged' || r.outcome === 'absent') continue
        const f = files.find((x) => r.file.endsWith(`/${x.file}`))!
        reporter?.({type: 'env.step', phase: 'monitoring', text: `${f.group}: ${r.outcome === 'removed' ? 'targets removed' : `${f.n} target(s) written`} (${r.file})`, state: 'end', ok: true, ms: performance.now() - t0})
      }
    } catch (e) {
      reporter?.({type: 'warning', message: `monitoring targets not written to ${sink.where}: ${(e as Error).message}; the next env command writes them again`})
    }
  }
  return store
}
