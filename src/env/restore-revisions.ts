/**
 * The revisions a restore deploys: what the source environment ran, from its deployment records (never the working
 * tree): each app's last successful deployment there. The revision comes from the local bundle cache when it is
 * there, else from where the record says it came from when that is the revision store (`s3://…`: its `revision.origin`,
 * or a `revision.source` that is such a URL), deployed as `deploy --revision URL`. An app with neither is a problem.
 */
import path from 'node:path'
import {cachedBundle} from '../deploy/deploy-source.js'
import {readDeploymentRecords} from '../deploy/records.js'
import type {DesiredRevision} from './types.js'

export interface SourceRevision {
  app: string
  /** the host revision id (16 hex digits) */
  id: string
  /** the source's deployment that deployed it */
  deploymentId: string
  /** the bundle in the local cache, when it is there */
  cached?: string
  /** the revision store URL the record names, when any */
  origin?: string
}

/** The revision store URL of a record's revision, if it names one. */
export function originOf(revision: {source?: string; origin?: unknown}): string | undefined {
  if (typeof revision.origin === 'string' && revision.origin.startsWith('s3://')) return revision.origin
  return revision.source?.startsWith('s3://') ? revision.source : undefined
}

export async function sourceRevisions(projectDir: string, source: string, apps: string[]): Promise<{revisions: SourceRevision[]; problems: string[]}> {
  // a record that cannot be read may be the last one of an app: refuse, naming it, rather than restore an older one
  const {deployments} = await readDeploymentRecords(projectDir, {strict: true})
  const cacheDir = path.join(projectDir, '.dops', 'bundles')
  const revisions: SourceRevision[] = []
  const problems: string[] = []
  for (const app of apps) {
    const last = deployments.filter((d) => d.env === source && d.app === app && d.status === 'succeeded').at(-1)
    if (!last) {
      problems.push(`app ${app}: environment ${source} has no successful deployment recorded in ${path.join(projectDir, '.dops', 'deployments')}`)
      continue
    }
    const cached = await cachedBundle(cacheDir, last.revision.id)
    const origin = originOf(last.revision as {source?: string; origin?: unknown})
    if (!cached && !origin) problems.push(`app ${app}: revision ${last.revision.id} (deployment ${last.deploymentId} of ${source}) is neither in ${cacheDir} nor in a revision store`)
    revisions.push({app, id: last.revision.id, deploymentId: last.deploymentId, ...(cached ? {cached} : {}), ...(origin ? {origin} : {})})
  }
  return {revisions, problems}
}

/** As `env up` deploys them: pinned revisions, from the cache or else their store URL. */
export function desiredFrom(revisions: SourceRevision[]): Record<string, DesiredRevision> {
  return Object.fromEntries(revisions.map((r) => [r.app, {id: r.id, source: 'revision' as const, deploymentId: r.deploymentId, ...(!r.cached && r.origin ? {origin: r.origin} : {})}]))
}
