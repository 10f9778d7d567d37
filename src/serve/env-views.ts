/**
 * The environments as the API serves them, from files only (plan, state, deployment records), each view cached
 * until one of those files changes (their stats are the key: a stat per file per request), and computed once for
 * concurrent requests. Checks (`?refresh=1`) run `envStatus` and are kept per environment, one at a time each.
 */
import {statSync} from 'node:fs'
import path from 'node:path'
import {readDeploymentRecords, deploymentsDir} from '../deploy/records.js'
import type {DeployReport} from '../deploy/deploy-job.js'
import {historyEntry, type HistoryEntry} from '../deploy/history-entry.js'
import type {LoadedPlan} from '../plan/types.js'
import {notFound} from './http-errors.js'
import {buildEnvView, rollUpHealth, type EnvCheck, type EnvView, type Health} from './env-view.js'

/** a file's identity and version (a synchronous stat: microseconds, and no thread-pool round trip per request) */
const statKey = (file: string) => {
  const s = statSync(file, {throwIfNoEntry: false})
  return s ? `${s.mtimeMs}:${s.size}:${s.ino}` : '-'
}

/** views of a shared (S3) state are kept this long: its changes cannot be seen with a stat */
const REMOTE_STATE_MS = 2000
/** and every view is made again after this long (inventories named by the plan are not watched) */
const MAX_AGE_MS = 10_000

export interface EnvSummary {
  name: string
  groups: number
  hosts: number
  health: Health
  lastDeployment?: HistoryEntry
  locked?: {holder: string}
  /** the environment could not be read (its state is corrupt, its provider module missing, ...) */
  error?: {code: string; message: string}
}

export interface DeploymentEntry extends HistoryEntry {
  hosts?: Array<{host: string; status: string; events: Array<{event: string; ms?: number; ok: boolean}>}>
}

interface Entry {
  key: string
  at: number
  view: Promise<EnvView>
  json?: Promise<string>
  /** a recomputation of an old entry whose files did not change (the old one is served meanwhile) */
  renewing?: boolean
}

const decisionsFile = (projectDir: string) => path.join(projectDir, '.dops', 'recovery', 'decisions.jsonl')

/** The environment's newest recovery decisions (none when nothing was ever decided: the journal is not created). */
async function recentDecisions(projectDir: string, env: string): Promise<NonNullable<EnvView['recovery']>> {
  if (!statSync(decisionsFile(projectDir), {throwIfNoEntry: false})) return []
  const {RecoveryJournal} = await import('../recover/journal.js')
  const j = new RecoveryJournal(projectDir)
  await j.open()
  return j.list({env, limit: RECENT_DECISIONS})
}

/** recovery decisions shown with an environment */
const RECENT_DECISIONS = 10

export class EnvViews {
  private plan?: {key: string; loaded: Promise<LoadedPlan>}
  private records?: {key: string; list: Promise<DeployReport[]>}
  private readonly views = new Map<string, Entry>()
  private readonly checks = new Map<string, EnvCheck>()
  private readonly checking = new Map<string, Promise<EnvView>>()

  constructor(private readonly where: {projectDir: string; planFile: string}) {}

  private source(env: string) {
    return {cwd: this.where.projectDir, planFile: this.where.planFile, env}
  }

  async loaded(): Promise<LoadedPlan> {
    const key = statKey(this.where.planFile)
    if (this.plan?.key !== key) {
      const {loadPlan} = await import('../plan/load.js')
      const loaded = loadPlan(this.where.planFile).then((r) => r.loaded)
      this.plan = {key, loaded}
      loaded.catch(() => (this.plan = undefined))
    }
    return this.plan.loaded
  }

  async envNames(): Promise<string[]> {
    return Object.keys((await this.loaded()).plan.environments ?? {})
  }

  /** 404 (with the known environments) unless the plan has `env`. */
  async known(env: string): Promise<void> {
    const names = await this.envNames()
    if (!names.includes(env)) throw notFound(`no environment \`${env}\` in the plan (environments: ${names.join(', ') || 'none'})`, {envs: names})
  }

  private async readRecords(): Promise<DeployReport[]> {
    const key = statKey(deploymentsDir(this.where.projectDir))
    if (this.records?.key !== key) {
      const list = readDeploymentRecords(this.where.projectDir).then((r) => r.deployments)
      this.records = {key, list}
      list.catch(() => (this.records = undefined))
    }
    return this.records.list
  }

  private async viewKey(env: string): Promise<string> {
    const loaded = await this.loaded()
    const now = Date.now()
    const parts = [this.plan?.key ?? '', statKey(deploymentsDir(this.where.projectDir)), statKey(decisionsFile(this.where.projectDir)), this.checks.get(env)?.checkedAt ?? '']
    if (loaded.plan.state?.backend === 's3') parts.push(String(Math.floor(now / REMOTE_STATE_MS)))
    else {
      const file = path.join(this.where.projectDir, '.dops', 'state', `${loaded.plan.project}-${env}.json`)
      parts.push(statKey(file), statKey(`${file}.lock`))
    }
    return parts.join('|')
  }

  private async entry(env: string): Promise<Entry> {
    await this.known(env)
    const key = await this.viewKey(env)
    const hit = this.views.get(env)
    if (hit?.key === key) {
      // files unchanged but the view is old (inventories, remote state): served while a new one is made
      if (Date.now() - hit.at > MAX_AGE_MS && !hit.renewing) {
        hit.renewing = true
        const view = this.compute(env)
        view.then(() => this.views.get(env) === hit && this.views.set(env, {key, at: Date.now(), view}), () => (hit.renewing = false))
      }
      return hit
    }
    const view = this.compute(env)
    const e: Entry = {key, at: Date.now(), view}
    this.views.set(env, e)
    view.catch(() => this.views.get(env) === e && this.views.delete(env))
    return e
  }

  async view(env: string): Promise<EnvView> {
    return (await this.entry(env)).view
  }

  /** the view as JSON text, serialized once per version of it (what the API sends) */
  async viewJson(env: string): Promise<string> {
    const e = await this.entry(env)
    e.json ??= e.view.then((v) => JSON.stringify(v))
    return e.json
  }

  private async compute(env: string): Promise<EnvView> {
    const [{resolveTargets}, {openState}, {providerOf}, {wantedCount}, {dependencyOrder}] = await Promise.all([import('../targets.js'), import('../state/backend.js'), import('../env/context.js'), import('../env/diff.js'), import('../env/order.js')])
    const t = await resolveTargets(this.source(env))
    const loaded = t.loaded!
    const store = await openState(loaded, t.projectDir, env)
    const [state, holder, records, recovery] = await Promise.all([store.read(), store.lockHolder(), this.readRecords(), recentDecisions(t.projectDir, env)])
    const specs = loaded.plan.environments![env]!.groups ?? {}
    const groups = dependencyOrder(specs).map((name) => {
      const spec = specs[name]!
      const prov = providerOf(loaded, spec)
      const desired = prov.type === 'static' ? t.hosts.filter((h) => h.group === name).length : wantedCount({groups: specs, state, scale: undefined}, name)
      return {name, spec, provider: prov.name, type: prov.type, desired}
    })
    const view = buildEnvView({project: loaded.plan.project, env, groups, hosts: t.hosts, state, records, holder, check: this.checks.get(env)})
    return recovery.length ? {...view, recovery} : view
  }

  /** Ask the hosts now (`dops env status`'s call), keep the answer, and return the view with it. */
  async refresh(env: string): Promise<EnvView> {
    await this.known(env)
    const running = this.checking.get(env)
    if (running) return running
    const p = (async () => {
      const {envStatus} = await import('../env/status.js')
      const status = await envStatus({source: this.source(env), connection: {}})
      this.checks.set(env, {status, checkedAt: new Date().toISOString()})
      return this.view(env)
    })()
    this.checking.set(env, p)
    try {
      return await p
    } finally {
      this.checking.delete(env)
    }
  }

  async summaries(): Promise<{project: string; envs: EnvSummary[]}> {
    const loaded = await this.loaded()
    const envs: EnvSummary[] = []
    for (const name of await this.envNames()) {
      // one environment that cannot be read (a corrupt state) does not hide the others
      const v = await this.view(name).catch((e: Error & {code?: string}) => ({error: {code: e.code ?? 'INTERNAL', message: e.message}}))
      if ('error' in v) {
        envs.push({name, groups: 0, hosts: 0, health: 'unknown', error: v.error})
        continue
      }
      envs.push({name, groups: v.groups.length, hosts: v.groups.reduce((n, g) => n + g.hosts.length, 0), health: rollUpHealth(v), ...(v.lastDeployment ? {lastDeployment: v.lastDeployment} : {}), ...(v.locked ? {locked: v.locked} : {})})
    }
    return {project: loaded.plan.project, envs}
  }

  /** `deploy history --json`'s entries of the environment, newest first, each with its hosts' lifecycle events. */
  async deployments(env: string, o: {app?: string; limit?: number}): Promise<DeploymentEntry[]> {
    await this.known(env)
    const list = (await this.readRecords()).filter((d) => d.env === env && d.status !== 'planned' && (!o.app || d.app === o.app))
    return list
      .slice(-(o.limit ?? 50))
      .reverse()
      .map((d) => ({
        ...historyEntry(d),
        hosts: (d.results ?? []).map((r) => ({host: r.host, status: r.status, events: (r.events ?? []).map((e) => ({event: e.event, ...(e.ms === undefined ? {} : {ms: e.ms}), ok: e.status !== 'failed'}))})),
      }))
  }

  /** `dops deploy status --json` of one app (contacts its hosts). */
  async appStatus(env: string, app: string) {
    await this.known(env)
    const {statusJob} = await import('../deploy/status-job.js')
    return statusJob({source: this.source(env), selection: {}, connection: {}, app, health: true})
  }
}

const shared = new WeakMap<object, EnvViews>()

/** One set of views per server (its routes share the caches). */
export function envViewsFor(ctx: {projectDir: string; planFile: string}): EnvViews {
  let v = shared.get(ctx)
  if (!v) shared.set(ctx, (v = new EnvViews(ctx)))
  return v
}
