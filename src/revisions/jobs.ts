/**
 * `dops bundle push APP` and `dops revisions list APP` as library calls: the app's revision built and bundled as
 * deploy does, pushed to the store; the store's revisions of an app with the environments that run each.
 */
import path from 'node:path'
import {InvalidInputError} from '../errors.js'
import type {LoadedPlan} from '../plan/types.js'
import type {AppPlan} from '../deploy/app-plan.js'
import {openStore, type Store} from './client.js'
import {listRevisions, runningRevisions, type RevisionList} from './list.js'
import {pushRevision, type PushResult} from './push.js'
import {isS3Url} from './url.js'

export interface PlanSource {
  cwd: string
  planFile?: string
}

async function planAndApp(src: PlanSource, app: string): Promise<{loaded: LoadedPlan; spec: AppPlan}> {
  const {findPlanFile, loadPlan} = await import('../plan/load.js')
  const file = src.planFile ? path.resolve(src.cwd, src.planFile) : await findPlanFile(src.cwd)
  if (!file) throw new InvalidInputError(`no plan: there is no dops.yml in ${src.cwd}; pass -f PLAN`)
  const {loaded} = await loadPlan(file)
  const spec = loaded.plan.apps?.[app] as AppPlan | undefined
  if (!spec) throw new InvalidInputError(`app \`${app}\` is not defined in ${loaded.file} (apps: ${Object.keys(loaded.plan.apps ?? {}).join(', ') || 'none'})`)
  return {loaded, spec}
}

function storeOf(loaded: LoadedPlan, to: string | undefined, flag: string): Store {
  const store = openStore(loaded.plan.revisions, to)
  if (!store) throw new InvalidInputError(`no revision store: pass ${flag} s3://bucket/prefix, or add \`revisions: {store: s3://bucket/prefix}\` to ${loaded.file}`)
  return store
}

/** The commit of the plan's git work tree (`-dirty` when it has changes), when there is one. */
export async function gitCommit(dir: string): Promise<string | undefined> {
  const {execa} = await import('execa')
  const head = await execa('git', ['rev-parse', 'HEAD'], {cwd: dir, reject: false, stdin: 'ignore', timeout: 10_000})
  if (head.exitCode !== 0 || !/^[0-9a-f]{40}$/.test(head.stdout.trim())) return undefined
  const dirty = await execa('git', ['status', '--porcelain'], {cwd: dir, reject: false, stdin: 'ignore', timeout: 10_000})
  return `${head.stdout.trim()}${dirty.exitCode === 0 && dirty.stdout.trim() ? '-dirty' : ''}`
}

export interface BundlePushReport extends PushResult {
  app: string
  store: string
  /** the revision's content id */
  revision: string
  commit?: string
}

export async function bundlePushJob(src: PlanSource, app: string, to?: string): Promise<BundlePushReport> {
  const {loaded, spec} = await planAndApp(src, app)
  if (isS3Url(spec.source)) throw new InvalidInputError(`apps.${app}.source is a stored revision already (${spec.source}); nothing to push`)
  const store = storeOf(loaded, to, '--to')
  const {runBuild} = await import('../deploy/deploy-source.js')
  const {bundleRevision} = await import('../deploy/prepare.js')
  if (spec.build) await runBuild(spec.build, loaded.dir)
  const b = await bundleRevision(path.resolve(loaded.dir, spec.source), path.join(loaded.dir, '.dops', 'bundles'))
  const commit = await gitCommit(loaded.dir)
  const r = await pushRevision(store, b.file, {app, revision: b.id, commit})
  return {app, store: store.url, revision: b.id, ...(commit ? {commit} : {}), ...r}
}

export async function revisionsListJob(src: PlanSource, app: string, from?: string): Promise<RevisionList> {
  const {loaded} = await planAndApp(src, app)
  const store = storeOf(loaded, from, '--store')
  const {readDeploymentRecords} = await import('../deploy/records.js')
  const {deployments} = await readDeploymentRecords(loaded.dir)
  return listRevisions(store, app, runningRevisions(deployments, app, Object.keys(loaded.plan.environments ?? {})))
}
