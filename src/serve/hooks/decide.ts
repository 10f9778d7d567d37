/**
 * What a verified push does: which apps it triggers (`apps.NAME.trigger`: repo, case-insensitive, and branch), and
 * for each whether to deploy, do nothing (the commit is deployed, or being deployed), or record it as superseded
 * (a push older than what is deployed: its `before` is not the deployed commit and its commit does not descend from
 * it). What is deployed: the commit of the app's newest succeeded `deploy.git` job in that environment, as long as
 * the environment's newest deployment of the app is still that job's revision.
 */
import path from 'node:path'
import type {DeployReport} from '../../deploy/deploy-job.js'
import type {AppTrigger, Plan} from '../../plan/types.js'
import type {Job, JobRunner} from '../types.js'
import type {Push} from './payload.js'

export interface Target {
  app: string
  env: string
  trigger: AppTrigger
}

export type Match = {targets: Target[]} | {unknown: string} | {ignored: string}

export function matchApps(plan: Plan, push: Push): Match {
  const repo = push.repo.toLowerCase()
  const apps = Object.entries(plan.apps ?? {}).filter(([, a]) => a.trigger?.repo.toLowerCase() === repo)
  if (!apps.length) return {unknown: `no app of the plan has trigger.repo ${push.repo}`}
  if (push.ref.startsWith('refs/tags/')) return {ignored: `${push.ref} is a tag; only branch pushes deploy`}
  if (!push.ref.startsWith('refs/heads/')) return {ignored: `${push.ref} is not a branch`}
  if (push.deleted) return {ignored: `${push.ref} was deleted`}
  const branch = push.ref.slice('refs/heads/'.length)
  const targets = apps.filter(([, a]) => (a.trigger!.branch ?? 'main') === branch).map(([app, a]) => ({app, env: a.trigger!.env, trigger: a.trigger!}))
  if (!targets.length) return {ignored: `branch ${branch} is not deployed (trigger.branch: ${[...new Set(apps.map(([, a]) => a.trigger!.branch ?? 'main'))].join(', ')})`}
  return {targets}
}

const commitOf = (j: Job) => (typeof j.params.commit === 'string' ? j.params.commit : undefined)
const revisionOf = (j: Job) => (j.result as {revision?: {id?: unknown}} | undefined)?.revision?.id

export interface Deployed {
  commit: string
  job: Job
}

/** how many of the newest deployment records are read to find the app's last one (a delivery's time stays bounded) */
export const RECORDS_SCANNED = 200

/** The newest succeeded deployment of `app` to `env` among the newest records. */
async function lastDeployment(projectDir: string, env: string, app: string): Promise<DeployReport | undefined> {
  const [{readdir, readFile}, {deploymentsDir, parseDeploymentRecord}] = await Promise.all([import('node:fs/promises'), import('../../deploy/records.js')])
  const dir = deploymentsDir(projectDir)
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.json')).sort().reverse().slice(0, RECORDS_SCANNED)
  // ids are d-<UTC time>-<random>: newest first, the first match is the newest
  for (const n of names) {
    const text = await readFile(path.join(dir, n), 'utf8').catch(() => undefined)
    const r = text === undefined ? undefined : parseDeploymentRecord(n, text).record
    if (r && r.env === env && r.app === app && r.status === 'succeeded') return r
  }
  return undefined
}

/** The commit running in `env` for `app` as far as the service knows; undefined when unknown. */
export async function deployedCommit(runner: JobRunner, projectDir: string, env: string, app: string): Promise<Deployed | undefined> {
  const job = runner.list({env, kind: 'deploy.git', state: 'succeeded', limit: 500}).find((j) => j.params.app === app && commitOf(j))
  if (!job) return undefined
  const last = await lastDeployment(projectDir, env, app)
  // deployed by something else since (dops deploy, a rollback): the commit running there is not known
  if (last && revisionOf(job) !== undefined && last.revision.id !== revisionOf(job)) return undefined
  return {commit: commitOf(job)!, job}
}

/** deploy.git jobs of the app in the env that have not ended (queued or running), newest first. */
export function pendingJobs(runner: JobRunner, env: string, app: string): Job[] {
  return [...runner.list({env, kind: 'deploy.git', state: 'running', limit: 500}), ...runner.list({env, kind: 'deploy.git', state: 'queued', limit: 500})].filter((j) => j.params.app === app)
}

export type Decision = {action: 'start'; why: string} | {action: 'noop'; reason: string; job: Job} | {action: 'superseded'; reason: string}

export interface DecideInput {
  push: Pick<Push, 'before' | 'after' | 'commits'>
  deployed?: Deployed
  pending: Job[]
  /** whether the deployed commit is an ancestor of the pushed one (git); undefined: cannot tell */
  isAncestor: (ancestor: string, commit: string) => Promise<boolean | undefined>
}

export async function decide(i: DecideInput): Promise<Decision> {
  const {push, deployed} = i
  const inFlight = i.pending.find((j) => commitOf(j) === push.after)
  if (inFlight) return {action: 'noop', reason: `commit ${push.after.slice(0, 12)} is being deployed by job ${inFlight.id}`, job: inFlight}
  if (!deployed) return {action: 'start', why: 'nothing deployed by a push yet'}
  if (deployed.commit === push.after) return {action: 'noop', reason: `commit ${push.after.slice(0, 12)} is already deployed (job ${deployed.job.id})`, job: deployed.job}
  if (push.before === deployed.commit) return {action: 'start', why: 'the push follows the deployed commit'}
  if (i.pending.some((j) => commitOf(j) === push.before)) return {action: 'start', why: 'the push follows a commit being deployed'}
  if (push.commits.includes(deployed.commit)) return {action: 'start', why: 'the push contains the deployed commit'}
  const descends = await i.isAncestor(deployed.commit, push.after)
  if (descends === false) return {action: 'superseded', reason: `commit ${push.after.slice(0, 12)} does not descend from the deployed commit ${deployed.commit.slice(0, 12)} (before ${push.before.slice(0, 12)}): an older push`}
  return {action: 'start', why: descends ? 'the commit descends from the deployed one' : 'ancestry unknown (fetch failed): deployed anyway'}
}
