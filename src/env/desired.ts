/**
 * The revision an app's hosts should run. As CodeDeploy's scale-out uses the last successful revision: after a
 * rollback (or a deploy of an explicit --revision) succeeded, that revision stays desired (env up, scale and
 * reconcile deploy it to new and differing hosts) until the next successful deploy of the working tree; otherwise
 * the working tree's revision is.
 */
import path from 'node:path'
import type {DeployReport} from '../deploy/deploy-job.js'
import {readDeploymentRecords} from '../deploy/records.js'
import {bundleRevision} from '../deploy/prepare.js'
import {storedBundle} from '../deploy/revision-source.js'
import type {RevisionsSpec} from '../plan/types.js'
import {isS3Url} from '../revisions/url.js'
import type {AppPlan} from '../deploy/app-plan.js'
import type {DesiredRevision} from './types.js'

/**
 * The last successful deployment pins its revision when it deployed something other than the working tree: a
 * rollback, or an explicit `dops deploy --revision`. A deploy of the working tree ends the pin.
 */
export function pinnedRevision(deployments: DeployReport[], env: string, app: string, workingTree: string): {id: string; deploymentId: string; kind: 'rollback' | 'revision'} | undefined {
  const ok = deployments.filter((d) => d.env === env && d.app === app && d.status === 'succeeded').sort((a, b) => (a.startedAt < b.startedAt ? -1 : a.startedAt > b.startedAt ? 1 : 0))
  const last = ok.at(-1)
  if (!last || (last.kind !== 'rollback' && last.revision.source === workingTree)) return undefined
  return {id: last.revision.id, deploymentId: last.deploymentId, kind: last.kind === 'rollback' ? 'rollback' : 'revision'}
}

/**
 * The desired revision of each app. The working tree's id is known without deploying only when the app has no
 * `build` (bundling is content-addressed and only writes the local bundle cache); with a build it is known at deploy.
 * Hosts name a revision by the first 16 hex digits of its content id.
 */
export async function desiredRevisions(projectDir: string, planDir: string, env: string, apps: Record<string, AppPlan>, names: string[], withWorkingTree: boolean, revisions?: RevisionsSpec): Promise<Map<string, DesiredRevision>> {
  // a record that cannot be read may be the one that pins the revision: refuse, naming it, rather than guess
  const {deployments} = await readDeploymentRecords(projectDir, {strict: true})
  const out = new Map<string, DesiredRevision>()
  for (const app of names) {
    const a = apps[app]
    // a source in the revision store (s3://…) is the working tree's revision as it is: deployments record its URL
    const stored = isS3Url(a?.source)
    const pin = pinnedRevision(deployments, env, app, stored ? a!.source : path.resolve(planDir, a?.source ?? '.'))
    if (pin) {
      out.set(app, {id: pin.id, source: pin.kind, deploymentId: pin.deploymentId})
      continue
    }
    const cacheDir = path.join(projectDir, '.dops', 'bundles')
    const id = withWorkingTree && a && (stored || !a.build) ? (stored ? await storedBundle(a.source, {revisions, cacheDir}) : await bundleRevision(path.resolve(planDir, a.source), cacheDir)).id.slice(0, 16) : undefined
    out.set(app, {...(id ? {id} : {}), source: 'working tree'})
  }
  return out
}
