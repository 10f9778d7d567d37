/**
 * Where a deployment's revision comes from, and where it came from as the history records it (`origin`): a revision
 * in the store (`--revision s3://…` or `apps.NAME.source: s3://…`: downloaded into the local cache, its checksum
 * verified), a cached revision by id (rollback, env up's pinned revision; fetched again from its recorded origin
 * when this machine's cache lacks it), or a directory or archive (the app's build first).
 */
import path from 'node:path'
import {InvalidInputError} from '../errors.js'
import type {RevisionsSpec} from '../plan/types.js'
import {settingsOf} from '../revisions/client.js'
import {fetchRevision} from '../revisions/fetch.js'
import {isS3Url} from '../revisions/url.js'
import type {AppPlan} from './app-plan.js'
import {cachedBundle, planRevision, runBuild, type PlannedRevision} from './deploy-source.js'
import type {HostLayout} from './host-layout.js'
import {bundleRevision, prepareRevision, type BundledRevision, type PreparedRevision} from './prepare.js'
import {readDeploymentRecords} from './records.js'

export interface ResolvedRevision {
  /** shown and recorded as the revision's source */
  label: string
  /** a revision from the store: its s3:// URL */
  origin?: string
  rev: PlannedRevision
  prepared?: PreparedRevision
}

export interface RevisionAsk {
  app: AppPlan
  planDir: string
  projectDir: string
  cacheDir: string
  layout: HostLayout
  revisions?: RevisionsSpec
  /** --revision */
  revision?: string
  /** a cached revision id (prefix) */
  revisionId?: string
  planOnly?: boolean
}

/** The s3:// origin a deployment record gives for a revision id, newest first. */
export async function recordedOrigin(projectDir: string, id: string): Promise<string | undefined> {
  const {deployments} = await readDeploymentRecords(projectDir)
  return deployments.filter((d) => d.revision.origin && (d.revision.id.startsWith(id) || id.startsWith(d.revision.id))).at(-1)?.revision.origin
}

/** A bundle from the store (the plan's `revisions` settings: region, endpoint, profile, whatever the bucket), downloaded (or found) in the cache, checked and bundled as dops bundles it. */
export async function storedBundle(url: string, a: Pick<RevisionAsk, 'revisions' | 'cacheDir'>) {
  const fetched = await fetchRevision(url, settingsOf(a.revisions), a.cacheDir)
  return bundleRevision(fetched.file, a.cacheDir)
}

/** A revision by id from the cache, else from the store URL the history records for it (undefined when neither). */
export async function bundleById(id: string, a: Pick<RevisionAsk, 'revisions' | 'cacheDir' | 'projectDir'>): Promise<string | undefined> {
  const hit = await cachedBundle(a.cacheDir, id)
  if (hit) return hit
  const origin = await recordedOrigin(a.projectDir, id)
  return origin ? (await storedBundle(origin, a)).file : undefined
}

export async function resolveRevision(a: RevisionAsk): Promise<ResolvedRevision> {
  const prepare = async (file: string, inspected?: BundledRevision['inspected']) => prepareRevision(file, a.layout, {behavior: a.app.fileExistsBehavior, inspected})
  if (a.revisionId) {
    const origin = await recordedOrigin(a.projectDir, a.revisionId)
    const hit = await bundleById(a.revisionId, a)
    if (!hit) throw new InvalidInputError(`revision ${a.revisionId} is not in ${a.cacheDir} and no deployment record gives where it came from; deploy it from its source instead`)
    if (a.planOnly) return {label: hit, origin, rev: await planRevision(hit, undefined)}
    const prepared = await prepare(hit)
    return {label: hit, origin, rev: prepared, prepared}
  }
  const given = a.revision ?? a.app.source
  if (isS3Url(given)) {
    const b = await storedBundle(given, a)
    if (a.planOnly) return {label: given, origin: given, rev: await planRevision(b.file, undefined)}
    const prepared = await prepare(b.file, b.inspected)
    return {label: given, origin: given, rev: prepared, prepared}
  }
  const src = path.resolve(a.planDir, given)
  if (a.planOnly) return {label: src, rev: await planRevision(src, a.revision ? undefined : a.app.build)}
  if (!a.revision && a.app.build) await runBuild(a.app.build, a.planDir)
  const b = await bundleRevision(src, a.cacheDir)
  const prepared = await prepare(b.file, b.inspected)
  return {label: src, rev: prepared, prepared}
}
