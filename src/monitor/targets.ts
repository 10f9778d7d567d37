/**
 * Prometheus file_sd targets of an environment, computed from its state (pure): one file per group,
 * `dops_<project>_<env>_<group>.json`, listing each ready host once per exporter with the labels `project`, `env`,
 * `group`, `role`, `host` and `exporter` (plus the plan's). Never the revision: a label that changes on every deploy
 * would start new series each time.
 */
import type {ExporterSpec, GroupSpec, MonitoringSpec} from '../plan/types.js'
import type {EnvState} from '../state/local-file.js'

/** One target group of Prometheus' file_sd format. */
export interface TargetGroup {
  targets: string[]
  labels: Record<string, string>
}

export interface GroupTargets {
  group: string
  /** the file's name in the targets directory */
  file: string
  /** the target groups, in host then exporter order; empty when the group has no ready host */
  targets: TargetGroup[]
}

/** The hosts of a group as the targets need them. */
export interface MonitoredHost {
  name: string
  address: string
  labels: Record<string, string>
}

export function targetFileName(project: string, env: string, group: string): string {
  return `dops_${project}_${env}_${group}.json`
}

/** The group's exporters: the plan's, then the group's (a group's `false` removes one); none when the group says `monitoring: false`. */
export function exportersOf(m: MonitoringSpec, g: GroupSpec): Array<[string, {port: number; path?: string; scheme?: string}]> {
  if (g.monitoring === false) return []
  const merged: Record<string, ExporterSpec> = {...m.exporters, ...g.monitoring?.exporters}
  const out: Array<[string, {port: number; path?: string; scheme?: string}]> = []
  for (const [name, e] of Object.entries(merged).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (e === false || e === undefined) continue
    out.push([name, typeof e === 'number' ? {port: e} : e])
  }
  return out
}

/** `host:port`, with an IPv6 address in brackets. */
export function hostPort(address: string, port: number): string {
  return address.includes(':') && !address.startsWith('[') ? `[${address}]:${port}` : `${address}:${port}`
}

/**
 * The hosts dops monitors in a group: those whose preparation finished (`ready` is not false). A host being created
 * or bootstrapped joins once ready; a host destroyed or forgotten is gone from the state, hence from the targets.
 */
export function monitoredHosts(state: EnvState, group: string, labelsOf: (name: string) => Record<string, string>): MonitoredHost[] {
  const list = state.static?.[group]?.hosts ?? state.groups[group]?.instances ?? []
  return list.filter((h) => h.ready !== false).map((h) => ({name: h.name, address: h.address, labels: labelsOf(h.name)}))
}

export function groupTargets(p: {project: string; env: string; group: string; spec: GroupSpec; monitoring: MonitoringSpec; hosts: MonitoredHost[]}): GroupTargets {
  const exporters = exportersOf(p.monitoring, p.spec)
  const targets: TargetGroup[] = []
  const hosts = [...p.hosts].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  for (const h of hosts) {
    for (const [name, e] of exporters) {
      const labels: Record<string, string> = {
        ...p.monitoring.labels,
        ...(p.spec.monitoring ? p.spec.monitoring.labels : {}),
        project: p.project,
        env: p.env,
        group: p.group,
        role: h.labels.role ?? p.group,
        host: h.name,
        exporter: name,
      }
      if (e.path && e.path !== '/metrics') labels.__metrics_path__ = e.path
      if (e.scheme && e.scheme !== 'http') labels.__scheme__ = e.scheme
      targets.push({targets: [hostPort(h.address, e.port)], labels})
    }
  }
  return {group: p.group, file: targetFileName(p.project, p.env, p.group), targets}
}
