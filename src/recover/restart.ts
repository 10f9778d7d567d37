/**
 * Restart an app on one host: the ApplicationStop then ApplicationStart hooks of the revision the host runs (the
 * scripts under `current`, as a deployment's ApplicationStop runs them), then the app's health check with its
 * retries. Nothing is installed; no traffic is switched (the host was failing anyway). The outcome is data.
 */
import {hookEnv, type AppPlan} from '../deploy/app-plan.js'
import {checkHealth} from '../deploy/health.js'
import {DEFAULT_DEPLOY_ROOT, hostLayout} from '../deploy/host-layout.js'
import {buildDriver} from '../deploy/steps/driver.js'
import {parseMarker} from '../deploy/steps/markers.js'
import {InvalidInputError} from '../errors.js'
import {resolveTargets, type TargetSource} from '../targets.js'
import {createSshTransport} from '../transport/factory.js'
import {makeRedactor} from '../util/redact.js'

export interface RestartResult {
  host: string
  app: string
  ok: boolean
  /** `Event: ok|failed (rc)|skipped (why)` in order, then the health check */
  events: string[]
  error?: string
  ms: number
}

export async function restartApp(source: TargetSource, hostName: string, appName: string, signal?: AbortSignal): Promise<RestartResult> {
  const t0 = performance.now()
  const t = await resolveTargets(source)
  if (!t.loaded || !t.envName) throw new InvalidInputError('restart needs a plan')
  const h = t.hosts.find((x) => x.name === hostName)
  if (!h) throw new InvalidInputError(`host ${hostName} is not in environment ${t.envName}`)
  const app = t.loaded.plan.apps?.[appName] as AppPlan | undefined
  if (!app) throw new InvalidInputError(`no app \`${appName}\` in the plan`)
  const redact = makeRedactor(t.loaded.secrets)
  const out: RestartResult = {host: hostName, app: appName, ok: true, events: [], ms: 0}
  const layout = hostLayout({project: t.loaded.plan.project, env: t.envName, app: appName}, app.deployRoot ?? DEFAULT_DEPLOY_ROOT)
  const transport = createSshTransport({projectDir: t.projectDir, planSsh: t.loaded.plan.ssh})
  try {
    const conn = await transport.connect(h)
    const id = `restart-${new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14)}`
    const env = hookEnv({app, appName, project: t.loaded.plan.project, env: t.envName, host: h, address: transport.target(h).address, deploymentId: id, revision: '', batch: 0, kind: 'restart'})
    // both from the host's current revision ("previous" to the driver: what `current` points at)
    const stdin = buildDriver({layout, revision: 'none', env, steps: [{event: 'ApplicationStop', from: 'previous'}, {event: 'ApplicationStart', from: 'previous'}], ignoreStopFailures: true})
    const r = await conn.exec(app.sudo ? 'sudo -n sh -s' : 'sh -s', {stdin, deadlineMs: 600_000, signal})
    for (const line of r.stdout.split('\n')) {
      const m = parseMarker(line)
      if (m?.kind === 'event-end') out.events.push(`${m.event}: ${m.rc === 0 ? 'ok' : `failed (${m.rc})`}`)
      else if (m?.kind === 'event-skip') out.events.push(`${m.event}: skipped (${m.reason})`)
      if (m?.kind === 'event-end' && m.rc !== 0 && m.event === 'ApplicationStart') out.error ??= `ApplicationStart failed with exit code ${m.rc}`
    }
    if (r.exitCode !== 0) out.error ??= `the restart driver failed with exit code ${r.exitCode}: ${redact(r.stderr.trim().slice(-200))}`
    if (!out.error && app.healthCheck) {
      const hr = await checkHealth(conn, app.healthCheck, signal, hookEnv({app, appName, project: t.loaded.plan.project, env: t.envName, host: h, address: transport.target(h).address, deploymentId: id, revision: '', batch: 0, kind: 'restart'}))
      out.events.push(`health: ${hr.ok ? 'ok' : `failed (${hr.reason ?? ''})`}`)
      if (!hr.ok) out.error = redact(`the health check fails after the restart: ${hr.reason ?? ''}`)
    }
  } catch (e) {
    out.error = redact(`the host did not answer: ${(e as Error).message}`)
  } finally {
    await transport.close().catch(() => undefined)
  }
  return {...out, ok: !out.error, ms: Math.round(performance.now() - t0)}
}
