/**
 * Re-verify just before acting: the alert said a host is down, dops looks itself. SSH probe (a connection and `true`)
 * and, when the host's group runs an app with a health check, that check (one attempt). The verdict is data.
 */
import type {HealthCheckSpec} from '../deploy/health.js'
import {hostEnv} from '../fleet/host-env.js'
import {resolveTargets, type TargetSource} from '../targets.js'
import {createSshTransport} from '../transport/factory.js'

export interface Probe {
  reachable: boolean
  /** the app's health check passed (undefined: no check to run, or the host did not answer) */
  healthy?: boolean
  reason: string
}

/** how long the probe waits for the host */
const PROBE_MS = 10_000

export async function probeHost(source: TargetSource, host: string, app?: string): Promise<Probe> {
  const t = await resolveTargets(source)
  const h = t.hosts.find((x) => x.name === host)
  if (!h || !t.loaded || !t.envName) return {reachable: false, reason: `host ${host} is not in environment ${t.envName ?? ''}`}
  const appName = app ?? t.loaded.plan.environments?.[t.envName]?.groups?.[h.group]?.apps?.[0]
  const check = appName ? (t.loaded.plan.apps?.[appName] as {healthCheck?: HealthCheckSpec} | undefined)?.healthCheck : undefined
  const transport = createSshTransport({projectDir: t.projectDir, planSsh: t.loaded.plan.ssh})
  const timer = new AbortController()
  const timeout = setTimeout(() => timer.abort(), PROBE_MS)
  try {
    const conn = await Promise.race([transport.connect(h), new Promise<never>((_r, reject) => timer.signal.addEventListener('abort', () => reject(new Error(`no SSH answer within ${PROBE_MS / 1000}s`))))])
    const r = await conn.exec('true', {signal: timer.signal})
    if (r.exitCode !== 0) return {reachable: false, reason: `SSH answered but \`true\` exited ${r.exitCode}`}
    if (!check) return {reachable: true, reason: 'SSH answers (no health check to run)'}
    const {checkHealth} = await import('../deploy/health.js')
    const hr = await checkHealth(conn, {...check, retries: 0}, timer.signal, hostEnv(h, {project: t.loaded.plan.project, env: t.envName, address: transport.target(h).address}))
    return {reachable: true, healthy: hr.ok, reason: hr.ok ? `SSH answers and ${appName}'s health check passes` : `SSH answers; ${appName}'s health check fails: ${hr.reason ?? ''}`}
  } catch (e) {
    return {reachable: false, reason: `SSH: ${(e as Error).message}`}
  } finally {
    clearTimeout(timeout)
    await transport.close().catch(() => undefined)
  }
}
