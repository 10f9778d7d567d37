/**
 * What the store holds for an app (ListObjectsV2, then each object's metadata) and which environments run each
 * revision: an environment runs the revision of the app's last successful deployment there, as the project's
 * deployment records (.dops/deployments) say.
 */
import type {DeployReport} from '../deploy/deploy-job.js'
import {s3Client, type Store} from './client.js'
import {storeError} from './errors.js'
import {appPrefix, objectUrl, shaOfKey} from './url.js'

export interface StoredRevision {
  url: string
  key: string
  sha256?: string
  bytes: number
  lastModified?: string
  /** the revision's content id, its commit, who pushed it and when (the object's metadata) */
  revision?: string
  commit?: string
  createdBy?: string
  createdAt?: string
  /** environments whose last successful deployment of the app is this revision */
  environments: string[]
}

export interface RevisionList {
  store: string
  app: string
  revisions: StoredRevision[]
}

const MAX_PAGES = 50

/** Per environment, the revision (host id) and origin of the app's last successful deployment. */
export function runningRevisions(deployments: DeployReport[], app: string, envs: string[]): Map<string, {id: string; origin?: string}> {
  const out = new Map<string, {id: string; origin?: string}>()
  const ok = deployments.filter((d) => d.app === app && d.status === 'succeeded' && envs.includes(d.env)).sort((a, b) => (a.startedAt < b.startedAt ? -1 : 1))
  for (const d of ok) out.set(d.env, {id: d.revision.id, origin: d.revision.origin})
  return out
}

export async function listRevisions(store: Store, app: string, running: Map<string, {id: string; origin?: string}>): Promise<RevisionList> {
  const {m, c} = await s3Client(store.settings)
  const prefix = appPrefix(store, app)
  const fail = (what: string, e: unknown) => storeError(`${store.url}/${app}/`, what, e, store.settings.endpoint)
  const objects: Array<{Key?: string; Size?: number; LastModified?: Date}> = []
  let token: string | undefined
  for (let page = 0; page < MAX_PAGES; page++) {
    const r = await c.send(new m.ListObjectsV2Command({Bucket: store.bucket, Prefix: prefix, ContinuationToken: token})).catch((e: unknown) => {
      throw fail('listing revisions (ListObjectsV2)', e)
    })
    objects.push(...(r.Contents ?? []))
    token = r.IsTruncated ? r.NextContinuationToken : undefined
    if (!token) break
  }
  if (token) throw fail('listing revisions (ListObjectsV2)', new Error(`more than ${MAX_PAGES} pages of objects; the list would be incomplete`))
  const revisions: StoredRevision[] = []
  // metadata: a few HeadObject calls at a time
  const todo = objects.filter((o) => o.Key && shaOfKey(o.Key))
  for (let i = 0; i < todo.length; i += 16) {
    const heads = await Promise.all(todo.slice(i, i + 16).map((o) => c.send(new m.HeadObjectCommand({Bucket: store.bucket, Key: o.Key!})).catch(() => undefined)))
    todo.slice(i, i + 16).forEach((o, j) => {
      const md = heads[j]?.Metadata ?? {}
      const url = objectUrl({bucket: store.bucket, key: o.Key!})
      const environments = [...running].filter(([, r]) => r.origin === url || (!!md.revision && md.revision.startsWith(r.id) && r.id.length >= 12)).map(([env]) => env).sort()
      revisions.push({url, key: o.Key!, sha256: shaOfKey(o.Key!), bytes: o.Size ?? 0, lastModified: o.LastModified?.toISOString(), revision: md.revision, commit: md.commit, createdBy: md['created-by'], createdAt: md['created-at'], environments})
    })
  }
  revisions.sort((a, b) => ((a.createdAt ?? a.lastModified ?? '') < (b.createdAt ?? b.lastModified ?? '') ? 1 : -1))
  return {store: store.url, app, revisions}
}
