/**
 * The restore's last gate: every group's hosts run (the provider says so), every app's hosts run the source's
 * revision and pass the app's health check (`env status`'s view). Returns what is not so, one line each.
 */
import type {TargetSource} from '../targets.js'
import type {TransportSettings} from '../transport/factory.js'
import type {SourceRevision} from './restore-revisions.js'
import {envStatus} from './status.js'

export interface Verified {
  hosts: number
  /** app -> hosts running the source's revision and healthy */
  apps: Record<string, number>
  problems: string[]
}

export async function verifyRestore(o: {source: TargetSource; connection: Omit<TransportSettings, 'projectDir' | 'planSsh' | 'onHostKeyLearned'>; revisions: SourceRevision[]; counts: Record<string, number>}): Promise<Verified> {
  const st = await envStatus({source: o.source, connection: o.connection})
  const out: Verified = {hosts: 0, apps: {}, problems: []}
  for (const g of st.groups) {
    out.hosts += g.hosts.length
    const want = o.counts[g.group]
    if (want !== undefined && g.hosts.length !== want) out.problems.push(`group ${g.group}: ${g.hosts.length} host(s), the source runs ${want}`)
    for (const h of g.hosts) {
      if (h.state !== 'running' && h.state !== 'static') out.problems.push(`${h.name} (${g.group}): ${h.state}`)
      for (const [app, rev] of Object.entries(h.revisions)) {
        const expected = o.revisions.find((r) => r.app === app)?.id
        const health = h.health[app]
        if (!rev || !expected || !(rev.startsWith(expected) || expected.startsWith(rev))) out.problems.push(`${h.name} (${g.group}): ${app} runs ${rev ?? 'nothing'}, the source runs ${expected ?? '(unknown)'}`)
        else if (health && !health.healthy) out.problems.push(`${h.name} (${g.group}): ${app} is unhealthy${health.reason ? `: ${health.reason}` : ''}`)
        else out.apps[app] = (out.apps[app] ?? 0) + 1
      }
    }
  }
  return out
}
