/**
 * `dops deploy` as a library call: build and bundle the app's revision, plan the rollout (and stop there with
 * planOnly), take the deploy lock, roll out in batches with health gates and traffic control, roll the changed hosts
 * back on failure, record the deployment. The report is the command's JSON contract.
 */
import {randomBytes} from 'node:crypto'
import path from 'node:path'
import {DopsError, ExitCode, InvalidInputError} from '../errors.js'
import type {Reporter} from '../events.js'
import {failureBudget} from '../fleet/batches.js'
import {schedule} from '../fleet/schedule.js'
import type {Selection} from '../fleet/select.js'
import type {RunSummary} from '../fleet/types.js'
import type {Host} from '../inventory/host.js'
import {resolveTargets, selectTargets, type TargetSource} from '../targets.js'
import {createSshTransport, type TransportSettings} from '../transport/factory.js'
import type {Transport} from '../transport/types.js'
import {parseDuration} from '../util/duration.js'
import {makeRedactor} from '../util/redact.js'
import {hostEnv} from '../fleet/host-env.js'
import {redactDeep} from './redact-report.js'
import {SCRIPTED_EVENTS} from './appspec/types.js'
import {deployHost, lifecyclePhases, stageRevision, type DeployHostResult} from './deploy-host.js'
import {recordedHostResult, writeDeployment} from './records.js'
import {Semaphore} from '../util/semaphore.js'
import {checkHealth, type HealthCheckSpec} from './health.js'
import {DEFAULT_DEPLOY_ROOT, hostLayout, readCurrentCommand, type HostLayout} from './host-layout.js'
import {acquireLockOn} from './lock.js'
import {hookEnv, type AppPlan, type AppTraffic} from './app-plan.js'
import {checkTraffic, trafficControl, trafficLabel} from './traffic.js'
import {prepareRevision, type PreparedRevision} from './prepare.js'
import {bundleById, resolveRevision} from './revision-source.js'
import {setUpPull} from './pull.js'
import {planRollout} from './strategy.js'

export interface DeployParams {
  source: TargetSource
  selection: Selection
  connection: Omit<TransportSettings, 'projectDir' | 'planSsh' | 'onHostKeyLearned'>
  app?: string
  /** deploy this revision (directory, archive or `s3://…` in the store) instead of the app's source */
  revision?: string
  /** roll back: deploy this cached revision id (prefix) */
  revisionId?: string
  planOnly?: boolean
  /** deploy only to the hosts that do not run this revision yet (env up, scale); none behind: status up-to-date */
  onlyBehind?: boolean
  /** the rollout for this deployment instead of the app's (env up: a replacement batch's new hosts, all at once) */
  strategy?: import('./strategy.js').StrategySpec
  ignoreStopFailures?: boolean
  rollback?: boolean
  wait?: string
  steal?: boolean
  stream?: boolean
  reporter?: Reporter
  stopSignal?: AbortSignal
  /** for tests: a deploy that needs a fixed id */
  deploymentId?: string
  kind?: 'deploy' | 'rollback'
}

export interface PlannedHost {
  host: string
  address: string
  group: string
  from?: string
  reachable: boolean
}

export interface DeployReport {
  version: 1
  kind: 'deploy' | 'rollback'
  deploymentId: string
  project: string
  env: string
  app: string
  /** `note`: with --plan, why the id may differ when deploying (the app's build has not run); `origin`: the store URL it came from */
  revision: {id: string; source: string; origin?: string; note?: string}
  status: 'planned' | 'up-to-date' | 'succeeded' | 'failed-rolled-back' | 'failed' | 'aborted'
  exitCode: number
  plan: {strategy: string; batches: PlannedHost[][]; maxFailures: string | number; minHealthy: number; hooks: string[]; healthCheck?: HealthCheckSpec; traffic?: AppTraffic; trafficControl?: string; lockHost?: string}
  results: DeployHostResult[]
  summary?: RunSummary
  stopped?: {reason: string; message: string}
  rollback?: {revision?: string; results: DeployHostResult[]; message?: string}
  startedAt: string
  durationMs: number
  lock?: {takenOverFrom?: string}
}


export function newDeploymentId(): string {
  return `d-${new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)}-${randomBytes(3).toString('hex')}`
}

async function currentRevisions(transport: Transport, hosts: Host[], layout: HostLayout): Promise<Map<string, string | undefined | null>> {
  const out = new Map<string, string | undefined | null>()
  await Promise.all(
    hosts.map(async (h) => {
      try {
        const c = await transport.connect(h)
        const r = await c.exec(readCurrentCommand(layout))
        out.set(h.name, r.stdout.trim().split('/').pop() || undefined)
      } catch {
        out.set(h.name, null)
      }
    }),
  )
  return out
}

export async function deployJob(p: DeployParams): Promise<DeployReport> {
  const t = await resolveTargets(p.source)
  if (!t.loaded || !t.envName) throw new InvalidInputError('dops deploy needs a plan (dops.yml or -f) with apps')
  const plan = t.loaded.plan
  const apps = Object.keys(plan.apps ?? {})
  const appName = p.app ?? (apps.length === 1 ? apps[0]! : undefined)
  if (!appName) throw new InvalidInputError(apps.length ? `choose an app: ${apps.join(', ')}` : `${t.loaded.file} defines no apps`)
  const app = plan.apps?.[appName] as AppPlan | undefined
  if (!app) throw new InvalidInputError(`app \`${appName}\` is not defined in ${t.loaded.file} (apps: ${apps.join(', ') || 'none'})`)
  const env = plan.environments![t.envName]!
  const groups = Object.entries(env.groups ?? {}).filter(([, g]) => g.apps?.includes(appName)).map(([n]) => n)
  if (!groups.length) throw new InvalidInputError(`no group of environment ${t.envName} lists app ${appName} in its \`apps\``)
  const appHosts = t.hosts.filter((h) => groups.includes(h.group))
  if (!appHosts.length) throw new DopsError('NO_HOSTS', `app ${appName} has no hosts in environment ${t.envName} (group${groups.length > 1 ? 's' : ''} ${groups.join(', ')}: none yet); create them with dops env up -e ${t.envName}, or list hosts in the plan`, {exitCode: ExitCode.NOTHING_TO_DO})
  const hosts = selectTargets({...t, hosts: appHosts}, p.selection)
  // the lock lives on the first of all the app's hosts, whatever this deployment selects
  const lockHost = [...appHosts].sort((a, b) => (a.name < b.name ? -1 : 1))[0]!
  const layout = hostLayout({project: plan.project, env: t.envName, app: appName}, app.deployRoot ?? DEFAULT_DEPLOY_ROOT)
  const cacheDir = path.join(t.projectDir, '.dops', 'bundles')
  const started = new Date()
  const t0 = performance.now()
  const deploymentId = p.deploymentId ?? newDeploymentId()
  const redact = makeRedactor(t.secrets)

  // the revision: built or downloaded, bundled, checked and prepared before any host is touched; --plan only reads it
  const resolved = await resolveRevision({app, planDir: t.loaded.dir, projectDir: t.projectDir, cacheDir, layout, revisions: plan.revisions, revision: p.revision, revisionId: p.revisionId, planOnly: p.planOnly})
  const {label: sourceLabel, rev, prepared: preparedOrNone, origin} = resolved
  const traffic = app.traffic
  checkTraffic(t.loaded, t.envName, appName, traffic)

  const transport = createSshTransport({...p.connection, projectDir: t.projectDir, planSsh: plan.ssh})
  try {
    const current = await currentRevisions(transport, hosts, layout)
    const targets = p.onlyBehind ? hosts.filter((h) => current.get(h.name) !== rev.id) : hosts
    const rollout = targets.length ? planRollout(targets.length, p.strategy ?? app.strategy) : {sizes: [], minHealthy: 0, maxFailures: 0, describe: 'every host runs this revision already'}
    // CodeDeploy's order: hosts not yet on this revision first
    const ordered = [...targets].sort((a, b) => Number(current.get(a.name) === rev.id) - Number(current.get(b.name) === rev.id))
    let offset = 0
    const batches = rollout.sizes.map((size) => ordered.slice(offset, (offset += size)).map((h) => ({host: h.name, address: h.address, group: h.group, from: current.get(h.name) ?? undefined, reachable: current.get(h.name) !== null})))
    const hooks = SCRIPTED_EVENTS.filter((e) => rev.appspec?.hooks[e]?.length && (traffic || !e.includes('Traffic')))
    const report: DeployReport = {
      version: 1,
      kind: p.kind ?? 'deploy',
      deploymentId,
      project: plan.project,
      env: t.envName,
      app: appName,
      revision: {id: rev.id, source: sourceLabel, ...(origin ? {origin} : {}), ...(rev.note ? {note: rev.note} : {})},
      status: 'planned',
      exitCode: ExitCode.OK,
      plan: {strategy: rollout.describe, batches, maxFailures: rollout.maxFailures, minHealthy: rollout.minHealthy, hooks, healthCheck: app.healthCheck, traffic, ...(traffic ? {trafficControl: trafficLabel(t.loaded, t.envName, traffic)} : {}), lockHost: lockHost.name},
      results: [],
      startedAt: started.toISOString(),
      durationMs: 0,
    }
    if (p.planOnly) return redactDeep({...report, durationMs: Math.round(performance.now() - t0)}, redact)
    if (!ordered.length) return redactDeep({...report, status: 'up-to-date', durationMs: Math.round(performance.now() - t0)}, redact)
    const prepared = preparedOrNone!
    // distribution: pull: pushed once to the store; each host downloads it (the URL is never shown or recorded)
    if (app.distribution === 'pull') report.revision.origin = (await setUpPull(prepared, plan.revisions, appName)).pushed.url
    p.reporter?.({type: 'deploy.plan', report: redactDeep(report, redact)})

    const lock = await acquireLockOn(() => transport.connect(lockHost), {host: lockHost.name, name: `${plan.project}-${t.envName}-${appName}`, deployment: deploymentId, waitMs: parseDuration(p.wait) ?? 0, steal: p.steal, sudo: app.sudo})
    if (lock.takenOver) report.lock = {takenOverFrom: `${lock.takenOver.owner} (deployment ${lock.takenOver.deployment}, ${lock.takenOverBecause ?? 'lease expired'})`}
    const heartbeat = setInterval(() => void lock.renew().catch(() => undefined), 60_000)
    try {
      const control = traffic ? await trafficControl({loaded: t.loaded, envName: t.envName, appName, traffic, transport, all: t.hosts, connection: p.connection, reporter: p.reporter}) : undefined
      const runTraffic_ = (what: 'block' | 'allow', h: Host) => control![what](h, p.stopSignal)
      const gate = async (h: Host): Promise<string | undefined> => {
        if (!app.healthCheck) return undefined
        const h2 = await checkHealth(await transport.connect(h), app.healthCheck, p.stopSignal, hostEnv(h, {project: plan.project, env: t.envName, address: transport.target(h).address}))
        return h2.ok ? undefined : `health check failed: ${h2.reason}${h2.excerpt ? `; last output: ${h2.excerpt}` : ''}`
      }
      // health-check and traffic commands may hold secrets: what is shown or recorded is redacted
      const deployOne = async (h: Host, batch: number, rev: PreparedRevision, ignoreStop: boolean) =>
        redactDeep(await deployHost({
          transport,
          host: h,
          batch,
          layout,
          revision: rev,
          deploymentId,
          phases: lifecyclePhases(rev.install, !!traffic),
          between: traffic ? (i) => (i === 0 ? runTraffic_('block', h) : i === 1 ? gate(h) : i === 2 ? runTraffic_('allow', h) : Promise.resolve(undefined)) : undefined,
          env: hookEnv({app, appName, project: plan.project, env: t.envName!, host: h, address: transport.target(h).address, deploymentId, revision: rev.id, batch, kind: p.kind ?? 'deploy'}),
          ignoreStopFailures: ignoreStop,
          keepReleases: app.keepReleases as number | undefined,
          sudo: app.sudo,
          stream: p.stream,
          emit: p.reporter,
          signal: undefined,
          redact,
        }), redact)
      // send the revision to every host up front, in parallel: a serial rollout then only waits for hooks
      const staged = new Map<string, boolean>()
      if (rollout.sizes.length > 1) {
        const limit = new Semaphore(32)
        await Promise.all(
          ordered.map((h) =>
            limit.use(async () => {
              try {
                const s = await stageRevision(await transport.connect(h), layout, prepared, {sudo: app.sudo})
                if (s.uploaded) staged.set(h.name, true)
              } catch {
                // unreachable now: its own deployment will say so
              }
            }),
          ),
        )
      }
      const outcome = await schedule<DeployHostResult>({
        hosts: ordered,
        batchSizes: rollout.sizes,
        maxFailures: rollout.maxFailures,
        pauseMs: parseDuration(app.strategy?.pause),
        reporter: p.reporter,
        stopSignal: p.stopSignal,
        runId: deploymentId,
        work: async (h, batch) => {
          const r0 = await deployOne(h, batch, prepared, p.ignoreStopFailures ?? app.ignoreApplicationStopFailures ?? false)
          const r = staged.get(h.name) ? {...r0, uploaded: true} : r0
          if (r.status !== 'ok' || traffic) return r
          const why = await gate(h)
          return why ? {...r, status: 'failed', errorKind: 'gate', error: redact(why)} : r
        },
        skipped: (h, batch, reason) => ({host: h.name, address: h.address, group: h.group, batch, status: 'skipped', exitCode: null, stdout: '', stderr: '', durationMs: 0, errorKind: reason, error: `not started: ${reason === 'interrupted' ? 'the deployment was interrupted' : 'the rollout stopped'}`, revision: prepared.id, uploaded: false, events: [], conflicts: [], switched: false, changed: false}),
      })
      report.results = outcome.results.map((r) => recordedHostResult(r, redact))
      report.summary = outcome.summary
      report.stopped = outcome.stopped
      // within the failure budget the deployment succeeds (the failed hosts are reported, exit 3)
      const notOk = outcome.summary.total - outcome.summary.ok
      const failed = !!outcome.stopped || notOk > (failureBudget(outcome.summary.total, rollout.maxFailures) ?? Infinity)
      if (!failed) report.status = 'succeeded'
      else if (outcome.stopped?.reason === 'interrupted') report.status = 'aborted'
      else if (p.rollback ?? app.strategy?.rollback ?? true) {
        // roll the hosts whose lifecycle started (ApplicationStop on) back to the revision they ran before
        const changed = outcome.results.filter((r) => r.changed && r.previousRevision)
        const stranded = outcome.results.filter((r) => r.changed && !r.previousRevision).map((r) => r.host)
        const results: DeployHostResult[] = []
        let message: string | undefined = stranded.length ? `${stranded.join(', ')} had no previous revision to roll back to` : undefined
        for (const prevId of new Set(changed.map((r) => r.previousRevision!))) {
          const file = await bundleById(prevId, {cacheDir, projectDir: t.projectDir, revisions: plan.revisions}).catch(() => undefined)
          if (!file) {
            message = [message, `revision ${prevId} is not in the local cache ${cacheDir} nor in the revision store: the hosts on it were not rolled back`].filter(Boolean).join('; ')
            continue
          }
          const prev = await prepareRevision(file, layout, {behavior: 'OVERWRITE'})
          const targets = ordered.filter((h) => changed.some((r) => r.host === h.name && r.previousRevision === prevId))
          results.push(...(await Promise.all(targets.map((h) => deployOne(h, 0, prev, true)))))
        }
        report.rollback = {revision: [...new Set(changed.map((r) => r.previousRevision!))].join(','), results: results.map((r) => recordedHostResult(r, redact)), message}
        const allBack = !message && results.every((r) => r.status === 'ok')
        report.status = allBack ? 'failed-rolled-back' : 'failed'
        if (!changed.length && !stranded.length) report.status = 'failed-rolled-back'
      } else report.status = 'failed'
      report.exitCode = {planned: 0, 'up-to-date': 0, succeeded: notOk ? ExitCode.SOME_FAILED : ExitCode.OK, 'failed-rolled-back': ExitCode.DEPLOY_ROLLED_BACK, failed: ExitCode.DEPLOY_FAILED, aborted: ExitCode.INTERRUPTED}[report.status]
    } finally {
      clearInterval(heartbeat)
      await lock.release().catch(() => undefined)
    }
    report.durationMs = Math.round(performance.now() - t0)
    await writeDeployment(t.projectDir, redactDeep(report, redact))
    return redactDeep(report, redact)
  } finally {
    await transport.close()
  }
}

export {deploymentsDir, readDeployments, writeDeployment} from './records.js'
