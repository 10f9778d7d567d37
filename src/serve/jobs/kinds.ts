/**
 * The core job kinds: each is the very call the CLI command makes (env up/down, scale, deploy, rollback, run), with
 * the plan and project of the server, the job's reporter and its stop signal. The core modules are loaded when a job
 * of that kind first runs.
 */
import path from 'node:path'
import {InvalidInputError} from '../../errors.js'
import {isWithin} from '../../util/within.js'
import type {TargetSource} from '../../targets.js'
import type {JobContext, JobParams} from '../types.js'
import {registerJobKind} from './registry.js'

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined)
const strs = (v: unknown): string[] | undefined => (typeof v === 'string' ? [v] : Array.isArray(v) ? v.map(String) : undefined)

function source(ctx: JobContext): TargetSource {
  return {cwd: ctx.projectDir, planFile: ctx.planFile, env: ctx.job.env}
}

/** A path given to the API names a file of the project: relative to it, never outside it. */
export function insideProject(projectDir: string, rel: string, what: string): string {
  const abs = path.resolve(projectDir, rel)
  if (!isWithin(projectDir, abs)) throw new InvalidInputError(`${what} \`${rel}\` is not inside the project directory ${projectDir}`)
  return abs
}

async function envUpKind(params: JobParams, ctx: JobContext) {
  const {envUp} = await import('../../env/env-job.js')
  const scale = params.groups as Record<string, number> | undefined
  // a recovery's scale carries its decision id: the provider's create is idempotent for it (EC2 ClientToken)
  const actionId = str(params.decision)
  const r = await envUp({source: source(ctx), connection: {}, scale, yes: params.yes === true, ...(actionId ? {actionId} : {}), reporter: ctx.reporter, stopSignal: ctx.stopSignal})
  return {exitCode: r.exitCode, result: r}
}

async function envDownKind(params: JobParams, ctx: JobContext) {
  const {envDown} = await import('../../env/env-job.js')
  const r = await envDown({source: source(ctx), connection: {}, yes: params.yes === true, reporter: ctx.reporter, stopSignal: ctx.stopSignal})
  return {exitCode: r.exitCode, result: r}
}

async function deployKind(params: JobParams, ctx: JobContext) {
  const {deployJob} = await import('../../deploy/deploy-job.js')
  const revision = str(params.revision)
  const r = await deployJob({
    source: source(ctx),
    selection: {},
    connection: {},
    app: str(params.app),
    revision: revision === undefined ? undefined : insideProject(ctx.projectDir, revision, 'revision'),
    stream: true,
    reporter: ctx.reporter,
    stopSignal: ctx.stopSignal,
  })
  return {exitCode: r.exitCode, result: r}
}

async function rollbackKind(params: JobParams, ctx: JobContext) {
  const [{deployJob}, {readDeploymentRecords}, {previousGoodRevision}] = await Promise.all([import('../../deploy/deploy-job.js'), import('../../deploy/records.js'), import('../../deploy/status-job.js')])
  const app = str(params.app)
  let to = str(params.to)
  if (!to) {
    const records = await readDeploymentRecords(ctx.projectDir)
    to = app ? previousGoodRevision(records.deployments, ctx.job.env, app) : undefined
    if (!to) throw new InvalidInputError(`no earlier successful revision of ${app ?? 'the app'} is recorded for environment ${ctx.job.env}; name one with \`to\``)
  }
  const r = await deployJob({source: source(ctx), selection: {}, connection: {}, app, revisionId: to, kind: 'rollback', ignoreStopFailures: true, rollback: false, reporter: ctx.reporter, stopSignal: ctx.stopSignal})
  return {exitCode: r.exitCode, result: r}
}

async function runKind(params: JobParams, ctx: JobContext) {
  const {runJob} = await import('../../run-job.js')
  const script = str(params.script)
  const timeout = params.timeout
  const r = await runJob({
    source: source(ctx),
    selection: {groups: strs(params.group), labels: strs(params.labels), names: strs(params.hosts)},
    connection: {},
    command: str(params.command),
    scriptFile: script === undefined ? undefined : insideProject(ctx.projectDir, script, 'script'),
    args: strs(params.args),
    sudo: params.sudo === true,
    timeout: typeof timeout === 'number' ? `${timeout}s` : str(timeout),
    batch: params.batch as never,
    maxFailures: params.maxFailures as never,
    // output lines as events while they come (the CLI's --stream): the job's page and SSE show them live
    stream: true,
    reporter: ctx.reporter,
    stopSignal: ctx.stopSignal,
  })
  return {exitCode: r.exitCode, result: r}
}

/** Register the core kinds (idempotent). */
export function registerCoreKinds(): void {
  registerJobKind('env.up', envUpKind)
  registerJobKind('scale', envUpKind)
  registerJobKind('env.down', envDownKind)
  registerJobKind('deploy', deployKind)
  registerJobKind('rollback', rollbackKind)
  registerJobKind('run', runKind)
}
