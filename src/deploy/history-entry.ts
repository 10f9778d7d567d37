/** A deployment record as `dops deploy history` lists it (a module of its own: the API reads it without loading SSH). */
import type {DeployReport} from './deploy-job.js'

export interface HistoryEntry extends Pick<DeployReport, 'deploymentId' | 'kind' | 'env' | 'app' | 'status' | 'startedAt' | 'durationMs' | 'exitCode'> {
  revision: string
  /** the revision store URL the revision came from */
  origin?: string
  ok: number
  failed: number
}

/** A deployment record as `deploy history` lists it. */
export function historyEntry(d: DeployReport): HistoryEntry {
  return {deploymentId: d.deploymentId, kind: d.kind, env: d.env, app: d.app, status: d.status, startedAt: d.startedAt, durationMs: Math.round(Number(d.durationMs) || 0), exitCode: d.exitCode, revision: d.revision.id, ...(d.revision.origin ? {origin: d.revision.origin} : {}), ok: d.summary?.ok ?? 0, failed: (d.summary?.total ?? 0) - (d.summary?.ok ?? 0)}
}
