/**
 * The API's view of an environment, built without contacting any host: the plan (groups, desired counts, labels),
 * the state file (hosts, ready), the deployment records (the revision each host was last given, the last
 * deployment) and the state lock's holder. A check (`?refresh=1`: `envStatus`, the very call of `dops env status`)
 * adds what only the hosts and providers know (running, reachable, health) and is kept with its time.
 */
import type {DeployReport} from '../deploy/deploy-job.js'
import {historyEntry, type HistoryEntry} from '../deploy/history-entry.js'
import type {EnvStatus, HostState} from '../env/status.js'
import type {Host} from '../inventory/host.js'
import type {GroupSpec} from '../plan/types.js'
import type {EnvState} from '../state/local-file.js'

/** `recorded`: in the state file, not checked yet (`?refresh=1` asks the provider and the host) */
export type HostViewState = HostState | 'recorded'
export type Health = 'healthy' | 'unhealthy' | 'unknown'

export interface HostView {
  name: string
  address: string
  group: string
  labels: Record<string, string>
  state: HostViewState
  ready?: boolean
  reachable?: boolean
  revisions: Record<string, string | undefined>
  health: Record<string, {healthy: boolean; reason?: string} | undefined>
  /** when the hosts were last asked (a check); absent: never since the server started */
  checkedAt?: string
}

export interface GroupView {
  group: string
  provider: string
  desired: number
  actual: number
  apps: Array<{app: string; revision?: string; revisions: string[]; mixed: boolean}>
  hosts: HostView[]
}

export interface EnvView {
  project: string
  env: string
  checkedAt?: string
  groups: GroupView[]
  lastDeployment?: HistoryEntry
  locked?: {holder: string}
  /** the newest recovery decisions of the environment (acted or suppressed, with reason and timings), newest first */
  recovery?: Array<import('../recover/types.js').Decision & {ended?: import('../recover/types.js').Decision}>
}

export interface EnvCheck {
  status: EnvStatus
  checkedAt: string
}

export interface ViewInput {
  project: string
  env: string
  /** group names in dependency order, with their specs and provider names */
  groups: Array<{name: string; spec: GroupSpec; provider: string; type: string; desired: number}>
  hosts: Host[]
  state: EnvState
  /** every readable deployment record of the project, oldest first */
  records: DeployReport[]
  holder?: string
  check?: EnvCheck
}

const endOf = (d: DeployReport) => Date.parse(d.startedAt) + (Number(d.durationMs) || 0)

/** The revision each host was last given, by app, from the records (oldest first; a rollback's results last). */
export function recordedRevisions(records: DeployReport[], env: string): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>()
  for (const d of records) {
    if (d.env !== env || d.status === 'planned') continue
    const hosts = out.get(d.app) ?? new Map<string, string>()
    out.set(d.app, hosts)
    for (const r of d.results ?? []) if (r.status === 'ok' || r.switched) hosts.set(r.host, r.revision)
    for (const r of d.rollback?.results ?? []) if (r.status === 'ok' || r.switched) hosts.set(r.host, r.revision)
  }
  return out
}

function appSummary(app: string, hosts: HostView[]): GroupView['apps'][number] {
  const counts = new Map<string, number>()
  for (const h of hosts) {
    const r = h.revisions[app]
    if (r) counts.set(r, (counts.get(r) ?? 0) + 1)
  }
  const revisions = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([r]) => r)
  return {app, ...(revisions[0] ? {revision: revisions[0]} : {}), revisions, mixed: revisions.length > 1}
}

export function buildEnvView(v: ViewInput): EnvView {
  const envRecords = v.records.filter((d) => d.env === v.env && d.status !== 'planned')
  const byRecords = recordedRevisions(envRecords, v.env)
  const newestRecord = envRecords.reduce((m, d) => Math.max(m, endOf(d)), 0)
  // a check newer than every deployment knows the revisions better than the records
  const checkRevisions = v.check && Date.parse(v.check.checkedAt) >= newestRecord
  const checked = new Map((v.check?.status.groups ?? []).flatMap((g) => g.hosts.map((h) => [`${g.group}/${h.name}`, h] as const)))
  const groups: GroupView[] = v.groups.map((g) => {
    const apps = g.spec.apps ?? []
    const readyOf = (name: string) => (g.type === 'static' ? v.state.static?.[g.name]?.hosts.find((x) => x.name === name)?.ready : v.state.groups[g.name]?.instances.find((x) => x.name === name)?.ready)
    const hosts: HostView[] = v.hosts
      .filter((h) => h.group === g.name)
      .map((h) => {
        const c = checked.get(`${g.name}/${h.name}`)
        const ready = readyOf(h.name)
        return {
          name: h.name,
          address: h.address,
          group: g.name,
          labels: h.labels,
          state: c?.state ?? (g.type === 'static' ? 'static' : 'recorded'),
          ...(ready === undefined ? {} : {ready}),
          ...(c?.reachable === undefined ? {} : {reachable: c.reachable}),
          revisions: Object.fromEntries(apps.map((a) => [a, checkRevisions && c ? c.revisions[a] : byRecords.get(a)?.get(h.name)])),
          health: c ? c.health : {},
          ...(c ? {checkedAt: v.check!.checkedAt} : {}),
        }
      })
    return {group: g.name, provider: g.provider, desired: g.desired, actual: hosts.length, apps: apps.map((a) => appSummary(a, hosts)), hosts}
  })
  const last = envRecords[envRecords.length - 1]
  return {
    project: v.project,
    env: v.env,
    ...(v.check ? {checkedAt: v.check.checkedAt} : {}),
    groups,
    ...(last ? {lastDeployment: historyEntry(last)} : {}),
    ...(v.holder ? {locked: {holder: v.holder}} : {}),
  }
}

/** The environment's health as last checked: unknown before any check. */
export function rollUpHealth(view: EnvView): Health {
  if (!view.checkedAt) return 'unknown'
  const hosts = view.groups.flatMap((g) => g.hosts)
  const bad = hosts.some((h) => h.state === 'gone' || h.state === 'stopped' || h.reachable === false || Object.values(h.health).some((x) => x && !x.healthy))
  return bad ? 'unhealthy' : 'healthy'
}
