/**
 * The job kinds of recovery, run by `dops serve`'s runner like any job (one at a time per environment, so an action
 * waits behind a deploy of its environment): each re-verifies just before acting, then calls the same core as the CLI.
 * - `restart` {host, app}: the app's health check passes → nothing done (`suppressed`); else ApplicationStop and
 *   ApplicationStart of the revision the host runs, then the health check
 * - `replace` {host, group}: the host answers SSH and its app is healthy → nothing done; else `env up --replace HOST`
 * - `run.alert` {script, host?, group, env}: the project script on the host (or the group) with the alert's labels
 *   in its environment (ALERT_*), as `dops run --script`
 * A job that found the host fine ends `succeeded` with `result.suppressed` (the reason).
 */
import {ExitCode, InvalidInputError} from '../errors.js'
import {insideProject} from '../serve/jobs/kinds.js'
import {registerJobKind} from '../serve/jobs/registry.js'
import type {JobContext, JobParams} from '../serve/types.js'
import type {TargetSource} from '../targets.js'
import {probeHost} from './verify.js'

/** leadership of this server (set by the alerts plugin): checked again just before a side effect */
let leading: () => boolean = () => true

/** An action that would act now on a server that lost the lease does nothing: the leader decides again. */
function notLeading(ctx: JobContext) {
  if (leading()) return undefined
  ctx.log('this server is no longer the leader: nothing done')
  return {exitCode: ExitCode.OK, result: {suppressed: 'this server lost the leadership before acting; nothing done', guard: 'not-leader'}}
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined)
const source = (ctx: JobContext): TargetSource => ({cwd: ctx.projectDir, planFile: ctx.planFile, env: ctx.job.env})

function need(params: JobParams, key: string): string {
  const v = str(params[key])
  if (!v) throw new InvalidInputError(`a ${String(params.action ?? 'recovery')} job needs \`${key}\``)
  return v
}

async function restartKind(params: JobParams, ctx: JobContext) {
  const host = need(params, 'host')
  const app = need(params, 'app')
  const probe = await probeHost(source(ctx), host, app)
  ctx.log(`re-verify ${host}: ${probe.reason}`)
  if (probe.healthy === true) return {exitCode: ExitCode.OK, result: {suppressed: `re-verified just before acting: ${probe.reason}`, guard: 'healthy', probe}}
  const lost = notLeading(ctx)
  if (lost) return lost
  const {restartApp} = await import('./restart.js')
  const r = await restartApp(source(ctx), host, app, ctx.stopSignal)
  for (const e of r.events) ctx.log(`${host}: ${e}`)
  return {exitCode: r.ok ? ExitCode.OK : ExitCode.NONE_SUCCEEDED, result: {probe, restart: r}}
}

async function replaceKind(params: JobParams, ctx: JobContext) {
  const host = need(params, 'host')
  const probe = await probeHost(source(ctx), host)
  ctx.log(`re-verify ${host}: ${probe.reason}`)
  if (probe.reachable && probe.healthy !== false) return {exitCode: ExitCode.OK, result: {suppressed: `re-verified just before acting: ${probe.reason}`, guard: 'healthy', probe}}
  const lost = notLeading(ctx)
  if (lost) return lost
  const {envUp} = await import('../env/env-job.js')
  const r = await envUp({source: source(ctx), connection: {}, replace: [host], actionId: str(params.decision) ?? ctx.job.id, yes: true, reporter: ctx.reporter, stopSignal: ctx.stopSignal})
  return {exitCode: r.exitCode, result: {probe, env: r}}
}

async function runAlertKind(params: JobParams, ctx: JobContext) {
  const script = need(params, 'script')
  const host = str(params.host)
  const lost = notLeading(ctx)
  if (lost) return lost
  const {runJob} = await import('../run-job.js')
  const env = Object.fromEntries(Object.entries((params.env ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)]))
  const r = await runJob({
    source: source(ctx),
    selection: host ? {names: [host]} : {groups: [need(params, 'group')]},
    connection: {},
    scriptFile: insideProject(ctx.projectDir, script, 'script'),
    env,
    stream: true,
    reporter: ctx.reporter,
    stopSignal: ctx.stopSignal,
  })
  return {exitCode: r.exitCode, result: r}
}

/** Register the recovery kinds (idempotent); `scale` is the core's. `isLeader`: this server's leadership. */
export function registerRecoveryKinds(isLeader?: () => boolean): void {
  if (isLeader) leading = isLeader
  registerJobKind('restart', restartKind)
  registerJobKind('replace', replaceKind)
  registerJobKind('run.alert', runAlertKind)
}
