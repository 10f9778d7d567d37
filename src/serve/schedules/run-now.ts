/**
 * `dops schedule run NAME` as library calls: find the schedule in the plan, turn its `run` or `deploy` into the very
 * parameters `dops run` / `dops deploy` give the core (runJob / deployJob), and record the result as the schedule's
 * last run in the shared schedule document. The command supplies the reporter (progress) and prints.
 */
import path from 'node:path'
import {DopsError, ExitCode} from '../../errors.js'
import {findPlanFile, loadPlan} from '../../plan/load.js'
import {closest} from '../../plan/suggest.js'
import type {DeployParams} from '../../deploy/deploy-job.js'
import type {RunJobParams} from '../../run-job.js'
import type {SharedScheduleState} from '../lease-common.js'
import {sharedBackendFor} from '../lease-backend.js'
import {recordLast} from './fire.js'
import {schedulesOf, type ScheduleEntry} from './spec.js'

export interface ScheduleTarget {
  entry: ScheduleEntry
  planFile: string
  projectDir: string
  shared: SharedScheduleState
}

export async function resolvePlanFile(cwd: string, file?: string): Promise<string> {
  const f = file ? path.resolve(cwd, file) : await findPlanFile(cwd)
  if (!f) throw new DopsError('NO_PLAN', `no dops.yml in ${cwd}; give the plan with -f`, {exitCode: ExitCode.INVALID_INPUT})
  return f
}

/** The named schedule of the plan, or an error listing the others. */
export async function findSchedule(cwd: string, file: string | undefined, name: string): Promise<ScheduleTarget> {
  const planFile = await resolvePlanFile(cwd, file)
  const {loaded} = await loadPlan(planFile)
  const entries = schedulesOf(loaded.plan, loaded.secrets)
  const entry = entries.find((e) => e.name === name)
  if (!entry) {
    const names = entries.map((e) => e.name)
    const guess = closest(name, names)
    throw new DopsError('NO_SUCH_SCHEDULE', `no schedule \`${name}\` in ${planFile}${guess ? `; did you mean \`${guess}\`?` : names.length ? ` (schedules: ${names.join(', ')})` : ' (it has no `schedules:`)'}`, {exitCode: ExitCode.INVALID_INPUT})
  }
  const projectDir = path.dirname(planFile)
  const shared = (await sharedBackendFor(projectDir, loaded.plan.project, loaded.plan.state)).schedules
  return {entry, planFile, projectDir, shared}
}

const strs = (v: string | string[] | undefined): string[] | undefined => (v === undefined ? undefined : Array.isArray(v) ? v : [v])

/** What `dops run` would be given for the schedule's `run` (without reporter and signals). */
export function runParamsOf(t: ScheduleTarget): RunJobParams {
  const r = t.entry.spec.run ?? {}
  return {
    source: {cwd: t.projectDir, planFile: t.planFile, env: t.entry.env},
    selection: {groups: strs(r.group), labels: r.labels, names: r.hosts},
    connection: {},
    command: r.command,
    scriptFile: r.script === undefined ? undefined : path.resolve(t.projectDir, r.script),
    args: r.args,
    sudo: r.sudo === true,
    timeout: typeof r.timeout === 'number' ? `${r.timeout}s` : r.timeout,
    batch: r.batch as RunJobParams['batch'],
    maxFailures: r.maxFailures,
  }
}

/** What `dops deploy` would be given for the schedule's `deploy`. */
export function deployParamsOf(t: ScheduleTarget): Pick<DeployParams, 'source' | 'revision'> & {app: string} {
  const d = t.entry.spec.deploy!
  return {source: {cwd: t.projectDir, planFile: t.planFile, env: t.entry.env}, app: d.app, revision: d.revision === undefined ? undefined : path.resolve(t.projectDir, d.revision)}
}

/** Record a run made from the CLI as the schedule's last (its run or deployment id, its state, when). */
export async function recordCliRun(t: ScheduleTarget, id: string, exitCode: number, startedAt: Date): Promise<void> {
  await recordLast(t.shared, t.entry.name, {jobId: id, state: exitCode === ExitCode.OK ? 'succeeded' : 'failed', at: startedAt.toISOString(), by: 'cli', exitCode})
}
