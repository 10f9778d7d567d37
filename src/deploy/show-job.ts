/**
 * `dops deploy show ID`: one recorded deployment in detail, CodeDeploy's per-instance view: each host's lifecycle
 * events with status, duration and the last lines of their output, and the rollback. Read from the project's
 * records only; nothing is contacted.
 */
import path from 'node:path'
import {InvalidInputError, type Problem} from '../errors.js'
import {resolveTargets, type TargetSource} from '../targets.js'
import type {DeployReport} from './deploy-job.js'
import type {DeployHostResult, EventRun} from './deploy-host.js'
import {deploymentsDir, readDeploymentRecords} from './records.js'

export interface ShownHost {
  host: string
  group: string
  batch: number
  status: DeployHostResult['status']
  durationMs: number
  revision: string
  previousRevision?: string
  error?: string
  events: Array<Omit<EventRun, 'tail'> & {tail: string[]}>
}

export interface ShowReport {
  deploymentId: string
  file: string
  kind: DeployReport['kind']
  project: string
  env: string
  app: string
  status: DeployReport['status']
  exitCode: number
  revision: DeployReport['revision']
  startedAt: string
  durationMs: number
  stopped?: DeployReport['stopped']
  hosts: ShownHost[]
  rollback?: {revision?: string; message?: string; hosts: ShownHost[]}
  /** records that could not be read (skipped) */
  problems: Problem[]
}

function shown(r: DeployHostResult): ShownHost {
  return {
    host: r.host,
    group: r.group,
    batch: r.batch,
    status: r.status,
    durationMs: Math.round(Number(r.durationMs) || 0),
    revision: r.revision,
    previousRevision: r.previousRevision,
    error: r.error,
    events: (r.events ?? []).map((e) => ({...e, tail: e.tail ?? []})),
  }
}

/** `id`: a deployment id as `deploy history` shows it, a unique prefix of one, or `latest` (of the env and app). */
export async function showJob(p: {source: TargetSource; id: string; app?: string; hosts?: string[]}): Promise<ShowReport> {
  const t = await resolveTargets(p.source)
  const {deployments, problems} = await readDeploymentRecords(t.projectDir)
  const dir = deploymentsDir(t.projectDir)
  let d: DeployReport | undefined
  if (p.id === 'latest') {
    const mine = deployments.filter((x) => x.status !== 'planned' && (!t.envName || x.env === t.envName) && (!p.app || x.app === p.app))
    d = mine[mine.length - 1]
    if (!d) throw new InvalidInputError(`no deployment is recorded in ${dir}${t.envName ? ` for environment ${t.envName}` : ''}`, problems)
  } else {
    const hits = deployments.filter((x) => x.deploymentId === p.id || x.deploymentId.startsWith(p.id))
    const exact = hits.find((x) => x.deploymentId === p.id)
    if (hits.length > 1 && !exact) throw new InvalidInputError(`${p.id} matches ${hits.length} deployments: ${hits.map((x) => x.deploymentId).join(', ')}`)
    d = exact ?? hits[0]
    if (!d) {
      const unreadable = problems.filter((x) => x.file && path.basename(x.file).startsWith(p.id))
      if (unreadable.length) throw new InvalidInputError(`the record of deployment ${p.id} cannot be read`, unreadable)
      const recent = deployments.slice(-5).map((x) => x.deploymentId)
      throw new InvalidInputError(`no deployment ${p.id} is recorded in ${dir}${recent.length ? `; the latest: ${recent.join(', ')}` : ''} (see dops deploy history)`)
    }
  }
  let hosts = d.results.map(shown)
  let rollback = d.rollback ? {revision: d.rollback.revision, message: d.rollback.message, hosts: d.rollback.results.map(shown)} : undefined
  if (p.hosts?.length) {
    const known = new Set([...hosts, ...(rollback?.hosts ?? [])].map((h) => h.host))
    const unknown = p.hosts.filter((h) => !known.has(h))
    if (unknown.length) throw new InvalidInputError(`deployment ${d.deploymentId} has no host ${unknown.join(', ')} (its hosts: ${[...known].join(', ') || 'none'})`)
    hosts = hosts.filter((h) => p.hosts!.includes(h.host))
    if (rollback) rollback = {...rollback, hosts: rollback.hosts.filter((h) => p.hosts!.includes(h.host))}
  }
  return {
    deploymentId: d.deploymentId,
    file: path.join(dir, `${d.deploymentId}.json`),
    kind: d.kind,
    project: d.project,
    env: d.env,
    app: d.app,
    status: d.status,
    exitCode: d.exitCode,
    revision: d.revision,
    startedAt: d.startedAt,
    durationMs: Math.round(Number(d.durationMs) || 0),
    stopped: d.stopped,
    hosts,
    rollback,
    problems,
  }
}
