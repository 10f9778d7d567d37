/**
 * A verified push, acted on: the plan's apps it triggers, and for each one a `deploy.git` job started (idempotent on
 * the delivery id for 72 h), a no-op (commit deployed or being deployed), or a superseded record. Answers the HTTP
 * status and body; the caller has checked the signature and leadership.
 */
import {DopsError} from '../../errors.js'
import type {Plan} from '../../plan/types.js'
import type {Job, JobSpec, JobTrigger, ServeContext} from '../types.js'
import {decide, deployedCommit, matchApps, pendingJobs, type Target} from './decide.js'
import {checkGitUrl, fetchCommit, gitDirs, hasCommit, isAncestor, serialized} from './git.js'
import type {Push} from './payload.js'

export const KEY_TTL_MS = 72 * 3600_000
/** how long a webhook may spend fetching to learn whether a push descends from the deployed commit */
export const ANCESTRY_FETCH_MS = 5000

export interface Outcome {
  app: string
  env: string
  outcome: 'started' | 'duplicate' | 'noop' | 'superseded'
  job: Job
  reason?: string
}

export interface Answer {
  status: number
  body: Record<string, unknown>
  /** for the server's log */
  log: string
  headers?: Record<string, string>
}

export function deliveryKey(forge: string, delivery: string | undefined, t: Target): string | undefined {
  return delivery ? `webhook:${forge}:${delivery}:${t.env}/${t.app}` : undefined
}

async function ancestry(ctx: ServeContext, t: Target, url: string, push: Push, ancestor: string, commit: string): Promise<boolean | undefined> {
  const {repo} = gitDirs(ctx.projectDir, t.app)
  const ask = async () => {
    if (!(await hasCommit(repo, ancestor))) return undefined
    await fetchCommit(repo, url, commit, push.ref, {timeoutMs: ANCESTRY_FETCH_MS})
    return isAncestor(repo, ancestor, commit)
  }
  // bounded as a whole: the fetch may wait behind a job's fetch of the same repository
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ANCESTRY_FETCH_MS + 1000)
  })
  try {
    return await Promise.race([ask().catch(() => undefined), timeout])
  } finally {
    clearTimeout(timer)
  }
}

async function one(ctx: ServeContext, push: Push, t: Target, delivery: string | undefined): Promise<Outcome> {
  const key = deliveryKey(push.forge, delivery, t)
  const seen = key ? ctx.store.getKey(key) : undefined
  const first = seen ? ctx.runner.get(seen) : undefined
  if (first) return {app: t.app, env: t.env, outcome: 'duplicate', job: first}
  const url = t.trigger.url ?? push.cloneUrl
  const spec: JobSpec = {kind: 'deploy.git', env: t.env, params: {app: t.app, url, commit: push.after, ref: push.ref, ...(t.trigger.path ? {path: t.trigger.path} : {})}}
  const trigger: JobTrigger = {type: 'webhook', by: push.forge, delivery, commit: push.after, message: push.message, compare: push.compare}
  const d = await decide({
    push,
    deployed: await deployedCommit(ctx.runner, ctx.projectDir, t.env, t.app),
    pending: pendingJobs(ctx.runner, t.env, t.app),
    isAncestor: (a, c) => (url ? ancestry(ctx, t, url, push, a, c) : Promise.resolve(undefined)),
  })
  if (d.action === 'noop') return {app: t.app, env: t.env, outcome: 'noop', job: d.job, reason: d.reason}
  if (d.action === 'superseded') {
    const job = await ctx.runner.record(spec, trigger, 'superseded', d.reason)
    if (key) await ctx.store.putKey(key, job.id, KEY_TTL_MS)
    return {app: t.app, env: t.env, outcome: 'superseded', job, reason: d.reason}
  }
  if (!url) throw new DopsError('NO_REPO_URL', `no repository URL to fetch from: the delivery has none; set apps.${t.app}.trigger.url`)
  checkGitUrl(url)
  const job = await ctx.runner.start(spec, trigger, key ? {key, keyTtlMs: KEY_TTL_MS} : undefined)
  return {app: t.app, env: t.env, outcome: 'started', job, reason: d.why}
}

export async function handlePush(ctx: ServeContext, plan: Plan, push: Push, delivery: string | undefined): Promise<Answer> {
  const where = `delivery ${delivery ?? '(no id)'} ${push.repo} ${push.ref}`
  const m = matchApps(plan, push)
  if ('unknown' in m) return {status: 404, body: {error: {code: 'UNKNOWN_REPO', message: m.unknown}}, log: `${where}: refused: ${m.unknown}`}
  if ('ignored' in m) return {status: 202, body: {ignored: m.ignored}, log: `${where}: ignored: ${m.ignored}`}
  const outcomes: Outcome[] = []
  const refused: Array<{app: string; env: string; outcome: 'refused'; error: {code: string; message: string}}> = []
  for (const t of m.targets) {
    try {
      // one decision at a time per app and environment: two copies of a delivery arriving together start one job
      outcomes.push(await serialized(`webhook:${t.env}/${t.app}`, () => one(ctx, push, t, delivery)))
    } catch (e) {
      // this app is refused (server closing, no URL); the others keep their jobs
      if (!(e instanceof DopsError)) throw e
      refused.push({app: t.app, env: t.env, outcome: 'refused', error: {code: e.code, message: e.message}})
    }
  }
  const refusedLog = refused.map((r) => `${r.env}/${r.app} refused: ${r.error.message}`)
  if (!outcomes.length) {
    const e = refused[0]!.error
    return {status: e.code === 'SERVER_CLOSING' ? 503 : 422, body: {error: e, results: refused}, log: `${where}: ${refusedLog.join('; ')}`}
  }
  const started = outcomes.filter((o) => o.outcome === 'started')
  const head = started[0] ?? outcomes[0]!
  const body: Record<string, unknown> = {job: head.job, results: [...outcomes.map((o) => ({app: o.app, env: o.env, outcome: o.outcome, jobId: o.job.id, ...(o.reason ? {reason: o.reason} : {})})), ...refused]}
  if (!started.length) {
    if (head.outcome === 'duplicate') body.duplicate = head.job.id
    else if (head.outcome === 'superseded') body.superseded = head.job.id
    else body.ignored = head.reason
  }
  const log = `${where} ${push.after.slice(0, 12)}: ${[...outcomes.map((o) => `${o.env}/${o.app} ${o.outcome} ${o.job.id}${o.reason ? ` (${o.reason})` : ''}`), ...refusedLog].join('; ')}`
  return {status: started.length ? 202 : 200, body, log}
}
