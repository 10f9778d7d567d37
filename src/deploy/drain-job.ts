/**
 * Drain hosts before they are destroyed (`dops scale` down, `dops env down`): for each app a leaving host runs,
 * take it out of traffic (the app's `traffic.block` on the traffic hosts that stay, between BeforeBlockTraffic and
 * AfterBlockTraffic) and stop it (ApplicationStop), with the scripts of the revision the host runs, as CodeDeploy
 * does when it takes an instance out. A failure is reported, never fatal: the host goes away either way.
 */
import type {Host} from '../inventory/host.js'
import type {LoadedPlan} from '../plan/types.js'
import type {SshTransport} from '../transport/ssh.js'
import {makeRedactor} from '../util/redact.js'
import {Semaphore} from '../util/semaphore.js'
import {hookEnv, isCommandTraffic, type AppPlan} from './app-plan.js'
import {trafficControl} from './traffic.js'
import type {TrafficControl} from '../env/resources.js'
import {redactDeep} from './redact-report.js'
import {DEFAULT_DEPLOY_ROOT, hostLayout} from './host-layout.js'
import {buildDriver, type DriverStep} from './steps/driver.js'
import {parseMarker} from './steps/markers.js'

export interface DrainResult {
  app: string
  host: string
  group: string
  status: 'ok' | 'failed' | 'unreachable'
  /** `Event: ok|failed (rc)|skipped (why)` in the order they ran */
  events: string[]
  error?: string
}

export interface DrainParams {
  loaded: LoadedPlan
  envName: string
  /** every host of the environment (the traffic hosts that stay are found here) */
  all: Host[]
  leaving: Host[]
  transport: SshTransport
}

const prev = (event: string): DriverStep => ({event, from: 'previous'})

export async function drainHosts(p: DrainParams): Promise<DrainResult[]> {
  const env = p.loaded.plan.environments![p.envName]!
  const leavingNames = new Set(p.leaving.map((h) => h.name))
  const limit = new Semaphore(32)
  const jobs: Array<Promise<DrainResult>> = []
  const drainId = `drain-${new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14)}`
  // one traffic control per app for the whole drain (a target group is looked up once)
  const controls = new Map<string, Promise<TrafficControl>>()
  const control = (appName: string, app: AppPlan) => {
    if (!controls.has(appName)) controls.set(appName, trafficControl({loaded: p.loaded, envName: p.envName, appName, traffic: app.traffic!, transport: p.transport, all: p.all, leaving: leavingNames}))
    return controls.get(appName)!
  }
  for (const h of p.leaving) {
    for (const appName of env.groups?.[h.group]?.apps ?? []) {
      const app = p.loaded.plan.apps?.[appName] as AppPlan | undefined
      if (!app) continue
      jobs.push(limit.use(() => drainOne(p, h, appName, app, leavingNames, drainId, control)))
    }
  }
  // a traffic command's output may show a secret of the plan: what the commands said is redacted, never what dops
  // decided (a secret whose value is `ok` must not turn a drain into a failure)
  const redact = makeRedactor(p.loaded.secrets)
  return (await Promise.all(jobs)).map((r) => ({...r, events: redactDeep(r.events, redact), ...(r.error !== undefined ? {error: redactDeep(r.error, redact)} : {})}))
}

async function drainOne(p: DrainParams, h: Host, appName: string, app: AppPlan, leaving: Set<string>, drainId: string, control: (appName: string, app: AppPlan) => Promise<TrafficControl>): Promise<DrainResult> {
  const out: DrainResult = {app: appName, host: h.name, group: h.group, status: 'ok', events: []}
  const layout = hostLayout({project: p.loaded.plan.project, env: p.envName, app: appName}, app.deployRoot ?? DEFAULT_DEPLOY_ROOT)
  const traffic = app.traffic
  const phases: DriverStep[][] = traffic ? [[prev('BeforeBlockTraffic')], [prev('AfterBlockTraffic'), prev('ApplicationStop')]] : [[prev('ApplicationStop')]]
  let conn
  try {
    conn = await p.transport.connect(h)
  } catch (e) {
    return {...out, status: 'unreachable', error: (e as Error).message}
  }
  const env = hookEnv({app, appName, project: p.loaded.plan.project, env: p.envName, host: h, address: p.transport.target(h).address, deploymentId: drainId, revision: '', batch: 0, kind: 'drain'})
  for (const [i, steps] of phases.entries()) {
    try {
      const r = await conn.exec(app.sudo ? 'sudo -n sh -s' : 'sh -s', {stdin: buildDriver({layout, revision: 'none', env, steps, ignoreStopFailures: true}), deadlineMs: 3_600_000})
      for (const line of r.stdout.split('\n')) {
        const m = parseMarker(line)
        if (m?.kind === 'event-end') out.events.push(`${m.event}: ${m.rc === 0 ? 'ok' : `failed (${m.rc})`}`)
        else if (m?.kind === 'event-skip') out.events.push(`${m.event}: skipped (${m.reason})`)
        if (m?.kind === 'event-end' && m.rc !== 0) {
          out.status = 'failed'
          out.error ??= `${m.event} failed with exit code ${m.rc}`
        }
      }
      if (r.exitCode !== 0) {
        out.status = 'failed'
        out.error ??= `the drain driver failed with exit code ${r.exitCode}: ${r.stderr.trim().slice(-200)}`
      }
    } catch (e) {
      return {...out, status: 'unreachable', error: `the connection was lost: ${(e as Error).message}`}
    }
    if (i === 0 && traffic) {
      const c = await control(appName, app).catch((e: Error) => e)
      const why = c instanceof Error ? c.message : await c.block(h).catch((e: Error) => e.message)
      const through = isCommandTraffic(traffic) ? `${p.all.filter((x) => x.group === traffic.group && !leaving.has(x.name)).length} traffic host(s)` : (c as TrafficControl).describe
      out.events.push(`BlockTraffic: ${why ? `failed (${why})` : `ok (${through})`}`)
      if (why) {
        out.status = 'failed'
        out.error ??= why
      }
    }
  }
  return out
}
