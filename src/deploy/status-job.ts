/**
 * `dops deploy status` and `dops deploy history`: which revision each host runs (and which hosts differ from their
 * group), and the deployments recorded in this project.
 */
import {InvalidInputError} from '../errors.js'
import {resolveTargets, selectTargets, type TargetSource} from '../targets.js'
import type {Selection} from '../fleet/select.js'
import {createSshTransport, type TransportSettings} from '../transport/factory.js'
import {shQuote} from '../transport/remote-command.js'
import type {DeployReport} from './deploy-job.js'
import {readDeploymentRecords} from './records.js'
import type {Problem} from '../errors.js'
import {DEFAULT_DEPLOY_ROOT, hostLayout, readCurrentCommand} from './host-layout.js'
import {checkHealth, type HealthCheckSpec} from './health.js'
import {hostEnv} from '../fleet/host-env.js'
import {historyEntry, type HistoryEntry} from './history-entry.js'

export {historyEntry, type HistoryEntry} from './history-entry.js'

export interface HostStatus {
  host: string
  group: string
  revision?: string
  reachable: boolean
  last?: {deployment: string; revision: string; status: string; at: string}
  differs: boolean
  /** the app's healthCheck, one attempt (with `health`): undefined when the app has none or the host is unreachable */
  healthy?: boolean
  healthReason?: string
}

export interface StatusReport {
  env: string
  app: string
  groups: Record<string, {revision?: string; hosts: number; differing: string[]}>
  hosts: HostStatus[]
}

export async function statusJob(p: {source: TargetSource; selection: Selection; connection: Omit<TransportSettings, 'projectDir' | 'planSsh'>; app?: string; health?: boolean}): Promise<StatusReport> {
  const t = await resolveTargets(p.source)
  if (!t.loaded || !t.envName) throw new InvalidInputError('dops deploy status needs a plan')
  const apps = Object.keys(t.loaded.plan.apps ?? {})
  const app = p.app ?? (apps.length === 1 ? apps[0] : undefined)
  if (!app || !apps.includes(app)) throw new InvalidInputError(`choose an app: ${apps.join(', ') || 'the plan defines none'}`)
  const groups = Object.entries(t.loaded.plan.environments![t.envName]!.groups ?? {}).filter(([, g]) => g.apps?.includes(app)).map(([n]) => n)
  const hosts = selectTargets({...t, hosts: t.hosts.filter((h) => groups.includes(h.group))}, p.selection)
  const layout = hostLayout({project: t.loaded.plan.project, env: t.envName, app}, (t.loaded.plan.apps![app] as {deployRoot?: string}).deployRoot ?? DEFAULT_DEPLOY_ROOT)
  const transport = createSshTransport({...p.connection, projectDir: t.projectDir, planSsh: t.loaded.plan.ssh})
  try {
    const list: HostStatus[] = await Promise.all(
      hosts.map(async (h) => {
        try {
          const c = await transport.connect(h)
          const r = await c.exec(`${readCurrentCommand(layout)}; echo; tail -n 1 ${shQuote(layout.history)} 2>/dev/null`)
          const [link, last] = r.stdout.split('\n')
          let parsed: HostStatus['last']
          try {
            parsed = last ? (JSON.parse(last) as HostStatus['last']) : undefined
          } catch {
            parsed = undefined
          }
          const out: HostStatus = {host: h.name, group: h.group, revision: link?.trim().split('/').pop() || undefined, reachable: true, last: parsed, differs: false}
          const check = (t.loaded!.plan.apps![app] as {healthCheck?: HealthCheckSpec}).healthCheck
          if (p.health && check) {
            const hr = await checkHealth(c, {...check, retries: 0}, undefined, hostEnv(h, {project: t.loaded!.plan.project, env: t.envName, address: transport.target(h).address}))
            out.healthy = hr.ok
            if (!hr.ok) out.healthReason = hr.reason
          }
          return out
        } catch {
          return {host: h.name, group: h.group, reachable: false, differs: false}
        }
      }),
    )
    const summary: StatusReport['groups'] = {}
    for (const g of groups) {
      const members = list.filter((h) => h.group === g)
      const counts = new Map<string, number>()
      for (const h of members) if (h.revision) counts.set(h.revision, (counts.get(h.revision) ?? 0) + 1)
      const major = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0]
      for (const h of members) h.differs = h.revision !== major
      summary[g] = {revision: major, hosts: members.length, differing: members.filter((h) => h.differs).map((h) => h.host)}
    }
    return {env: t.envName, app, groups: summary, hosts: list}
  } finally {
    await transport.close()
  }
}

/** The recorded deployments (oldest first); `problems` names each record that could not be read (it is skipped). */
export async function historyJob(p: {source: TargetSource; app?: string}): Promise<{deployments: HistoryEntry[]; problems: Problem[]}> {
  const t = await resolveTargets(p.source)
  const {deployments: all, problems} = await readDeploymentRecords(t.projectDir)
  return {
    deployments: all
      .filter((d) => d.status !== 'planned' && (!p.app || d.app === p.app) && (!t.envName || d.env === t.envName))
      .map(historyEntry),
    problems,
  }
}

/** The revision to roll back to: the last successful one before the newest successful one. */
export function previousGoodRevision(deployments: DeployReport[], env: string, app: string): string | undefined {
  const good = deployments.filter((d) => d.env === env && d.app === app && d.status === 'succeeded').map((d) => d.revision.id)
  const distinct = good.filter((id, i) => i === 0 || good[i - 1] !== id)
  return distinct.length >= 2 ? distinct[distinct.length - 2] : undefined
}
