/** The deploy step: the app's desired revision on the hosts that do not run it yet (CodeDeploy's scale-out). */
import path from 'node:path'
import {DopsError} from '../../errors.js'
import {hostRuns, step, type EnvContext} from '../context.js'
import type {EnvReport, EnvStep} from '../types.js'

/**
 * `onto`: only these hosts (a replacement batch's new hosts), all at once: they serve nothing yet, so the app's
 * health floor (minHealthy) is kept by the hosts they replace, which still serve.
 */
export async function deployStep(e: EnvContext, report: EnvReport, s: Extract<EnvStep, {kind: 'deploy'}>, onto?: string[]): Promise<void> {
  const p = e.p
  const {deployJob, deploymentsDir} = await import('../../deploy/deploy-job.js')
  // a pinned revision comes from the bundle cache, as the deployment that pinned it (so it stays desired)
  // (or, when the cache lacks it, from where the record says it came from: the revision store)
  const pinned = s.revision.source === 'working tree' ? {} : s.revision.origin ? {revision: s.revision.origin, kind: 'deploy' as const} : {revisionId: s.revision.id, kind: s.revision.source === 'rollback' ? ('rollback' as const) : ('deploy' as const)}
  if (onto && !onto.length) return
  const only = onto ? {selection: {names: onto}, strategy: {preset: 'AllAtOnce' as const}} : {selection: {}}
  const end = step(p, 'deploy', `deploying ${s.app}${onto ? ` to ${onto.join(', ')}${s.batch ? ` (replacement batch ${s.batch.n}/${s.batch.of})` : ''}` : ''}${s.revision.source !== 'working tree' ? ` (revision ${s.revision.id}, kept since ${s.revision.source === 'rollback' ? 'the rollback' : 'the deployment'} ${s.revision.deploymentId ?? ''})` : ''}`)
  // a failure names the step it ended (a host that does not answer, a lock)
  const r = await deployJob({source: p.source, ...only, connection: p.connection, app: s.app, reporter: p.reporter, stopSignal: p.stopSignal, onlyBehind: true, ...pinned}).catch((err: unknown) => {
    end((err as Error).message, false)
    throw err instanceof DopsError ? new DopsError(err.code, `deploying ${s.app}: ${err.message}`, {exitCode: err.exitCode, problems: err.problems, cause: err}) : err
  })
  end(r.status === 'up-to-date' ? 'up to date' : `${r.status}${r.deploymentId ? ` (${r.deploymentId})` : ''}`, r.exitCode === 0)
  if (r.status === 'up-to-date') {
    report.deployments.push({app: s.app, status: 'up to date', exitCode: 0, revision: r.revision.id})
    return
  }
  // the deployment's own record holds every host's hooks and output: the place to look when it failed
  const bad = r.results.filter((h) => h.status !== 'ok' && h.status !== 'skipped')
  const failed = hostRuns(e, bad).map((h, i) => (bad[i]!.failedEvent ? {...h, error: `${bad[i]!.failedEvent}: ${h.error ?? 'failed'}`} : h))
  report.deployments.push({app: s.app, status: r.status, exitCode: r.exitCode, deploymentId: r.deploymentId, revision: r.revision.id, record: path.join(deploymentsDir(e.t.projectDir), `${r.deploymentId}.json`), ...(failed.length ? {failed} : {})})
  report.changed = true
  if (r.exitCode !== 0) report.exitCode = r.exitCode
}
