/**
 * Job kind `deploy.git` {app, url, commit, ref?, path?}: fetch the pushed commit into the service's git cache,
 * export its tree to `.dops/serve/checkouts/<app>-<sha>`, run the app's `build` there (the same `runBuild` as
 * `dops deploy`, in the checkout as `dops deploy` runs it in the project), then the core `deployJob` with the
 * checkout (or `path` inside it) as the revision. The result is the DeployReport, the exit code the CLI's.
 */
import path from 'node:path'
import {DopsError, ExitCode, InvalidInputError} from '../../errors.js'
import type {JobContext, JobKindImpl, JobParams} from '../types.js'
import {checkout, fetchCommit, gitDirs, pruneCheckouts} from './git.js'
import {SHA} from './payload.js'

export interface DeployGitParams {
  app: string
  url: string
  commit: string
  ref?: string
  path?: string
}

export function deployGitParams(p: JobParams): DeployGitParams {
  const s = (k: string) => (typeof p[k] === 'string' ? (p[k] as string) : undefined)
  const app = s('app')
  const url = s('url')
  const commit = s('commit')?.toLowerCase()
  if (!app || !url || !commit || !SHA.test(commit)) throw new InvalidInputError('deploy.git needs {app, url, commit} (commit: 40 or 64 hex digits)')
  return {app, url, commit, ref: s('ref'), path: s('path')}
}

/** `path` inside the checkout, never outside it. */
export function revisionDir(dir: string, sub: string | undefined): string {
  if (!sub) return dir
  const full = path.resolve(dir, sub)
  if (path.isAbsolute(sub) || sub.split(/[\\/]/).includes('..') || (full !== dir && !full.startsWith(dir + path.sep))) throw new InvalidInputError(`trigger.path \`${sub}\` is outside the repository`)
  return full
}

const since = (t0: number) => `${Math.round(performance.now() - t0)} ms`

function stopped(ctx: JobContext): void {
  if (ctx.stopSignal.aborted) throw new DopsError('INTERRUPTED', 'cancelled before the deployment started; nothing was deployed', {exitCode: ExitCode.INTERRUPTED})
}

export const deployGit: JobKindImpl = async (params, ctx) => {
  const p = deployGitParams(params)
  const {loadPlan} = await import('../../plan/load.js')
  const {loaded} = await loadPlan(ctx.planFile)
  const app = loaded.plan.apps?.[p.app]
  if (!app) throw new InvalidInputError(`app \`${p.app}\` is not defined in ${ctx.planFile}`)
  const dirs = gitDirs(ctx.projectDir, p.app)

  let t0 = performance.now()
  const how = await fetchCommit(dirs.repo, p.url, p.commit, p.ref, {signal: ctx.stopSignal})
  ctx.log(how === 'cached' ? `commit ${p.commit.slice(0, 12)} already in the cache (${since(t0)})` : `fetched ${p.commit.slice(0, 12)} from ${p.url} (${since(t0)})`)
  stopped(ctx)

  t0 = performance.now()
  const co = await checkout(dirs.repo, dirs.checkouts, p.app, p.commit, ctx.stopSignal)
  ctx.log(co.reused ? `checkout ${path.basename(co.dir)} reused` : `checked out ${path.basename(co.dir)} (${since(t0)})`)
  const revision = revisionDir(co.dir, p.path)
  stopped(ctx)

  if (app.build) {
    t0 = performance.now()
    ctx.log(`build: ${app.build}`)
    const {runBuild} = await import('../../deploy/deploy-source.js')
    await runBuild(app.build, co.dir)
    ctx.log(`build done (${since(t0)})`)
    stopped(ctx)
  }

  t0 = performance.now()
  const {deployJob} = await import('../../deploy/deploy-job.js')
  const report = await deployJob({
    source: {cwd: ctx.projectDir, planFile: ctx.planFile, env: ctx.job.env},
    selection: {},
    connection: {},
    app: p.app,
    revision,
    // hook output as events while it comes, as the service's deploy kind does
    stream: true,
    reporter: ctx.reporter,
    stopSignal: ctx.stopSignal,
  })
  ctx.log(`deployment ${report.deploymentId} ${report.status} (${since(t0)})`)
  const pruned = await pruneCheckouts(dirs.checkouts, p.app, co.dir).catch(() => [])
  if (pruned.length) ctx.log(`removed ${pruned.length} old checkout(s) of ${p.app}`)
  return {exitCode: report.exitCode, result: report}
}
