/**
 * What `env restore` works from, all checked before anything is created: the source and target environments, the
 * groups built (restore-derive.ts), the host counts (the source's state), the revisions (the source's deployment
 * records) and the region-specific values of aws groups. Every problem found is listed in one error.
 */
import {DopsError, ExitCode, InvalidInputError, type Problem} from '../errors.js'
import type {LoadedPlan} from '../plan/types.js'
import {regionProblems, staticProblems} from '../plan/restore-checks.js'
import {closest} from '../plan/suggest.js'
import {formatPath, locate} from '../plan/yaml-source.js'
import {openState} from '../state/backend.js'
import type {TargetSource} from '../targets.js'
import {providerOf} from './context.js'
import {plannedCount} from './diff.js'
import {derivePlan, restoreHooks, type RestoreNames} from './restore-derive.js'
import {sourceRevisions, type SourceRevision} from './restore-revisions.js'

export interface RestoreInputs {
  loaded: LoadedPlan
  names: RestoreNames
  /** the source with the built environment in it: every command of the restore uses it */
  source: TargetSource
  /** host counts of the provider-made groups: the source's (its state), else its plan's */
  counts: Record<string, number>
  /** where each count came from */
  countsFrom: Record<string, 'state' | 'plan'>
  revisions: SourceRevision[]
  hooks: ReturnType<typeof restoreHooks>
}

/** The prefix of a drill's environment. */
export const DRILL_PREFIX = 'drill-'

export async function restoreInputs(o: {source: TargetSource; target: string; from?: string; drill?: boolean}): Promise<RestoreInputs> {
  const {findPlanFile, loadPlan} = await import('../plan/load.js')
  const file = o.source.planFile ?? (await findPlanFile(o.source.cwd))
  if (!file) throw new InvalidInputError(`no plan: there is no dops.yml in ${o.source.cwd}; pass -f PLAN`)
  const {loaded} = await loadPlan(file.startsWith('/') ? file : `${o.source.cwd}/${file}`, {env: o.source.processEnv})
  const envs = loaded.plan.environments ?? {}
  const envNames = Object.keys(envs)
  const located = (path: Array<string | number>, message: string, suggestion?: string): Problem => ({file: loaded.file, ...locate(loaded.source, path, true), path: formatPath(path), message, ...(suggestion ? {suggestion} : {})})
  const guess = (n: string, among: string[]) => (closest(n, among) ? `; did you mean \`${closest(n, among)}\`?` : '')
  if (!envs[o.target]) throw new InvalidInputError(`no environment \`${o.target}\` to restore`, [located(['environments'], `\`${o.target}\` is not an environment of the plan${guess(o.target, envNames)}`, 'add it (its `provider`, `restoreFrom` and the overrides its region needs)')])
  const from = o.from ?? envs[o.target]!.restoreFrom
  if (!from) throw new InvalidInputError(`restore ${o.target} from which environment? pass --from SOURCE, or set environments.${o.target}.restoreFrom`, [located(['environments', o.target], 'no `restoreFrom`, and no --from')])
  if (from === o.target) throw new InvalidInputError(`${o.target} cannot be restored from itself`)
  if (!envs[from]) throw new InvalidInputError(`no environment \`${from}\` to restore from`, [located(['environments'], `\`${from}\` is not an environment of the plan${guess(from, envNames)}`)])
  const name = o.drill ? `${DRILL_PREFIX}${o.target}` : o.target
  if (o.drill && envs[name]) throw new InvalidInputError(`a drill builds environment ${name}, but the plan has an environment of that name: rename it`, [located(['environments', name], 'a drill of `' + o.target + '` builds an environment of this name')])
  const names: RestoreNames = {source: from, target: o.target, name, drill: o.drill}

  const problems: Problem[] = [...staticProblems(loaded.plan, names, loaded.source), ...regionProblems(loaded.plan, names, loaded.source)]
  const derived = derivePlan(loaded, names)
  const groups = derived.plan.environments![name]!.groups ?? {}
  // the source's hosts as its state records them (a lost region's state may be unreadable: its plan's counts then)
  const srcState = await (await openState(loaded, loaded.dir, from)).read().catch(() => undefined)
  const counts: Record<string, number> = {}
  const countsFrom: RestoreInputs['countsFrom'] = {}
  for (const [g, spec] of Object.entries(groups)) {
    if (providerOf(derived, spec).type === 'static') continue
    const recorded = srcState?.groups[g]?.instances.length ?? srcState?.static?.[g]?.hosts.length ?? 0
    counts[g] = recorded || plannedCount(spec)
    countsFrom[g] = recorded ? 'state' : 'plan'
    const asg = (spec.instance as {autoScaling?: {min?: number; max?: number}} | undefined)?.autoScaling
    if (asg && ((asg.min !== undefined && counts[g]! < asg.min) || (asg.max !== undefined && counts[g]! > asg.max))) problems.push(located(['environments', o.target], `group ${g}: the source runs ${counts[g]} host(s), outside the Auto Scaling range (min ${asg.min ?? 0}, max ${asg.max ?? '-'})`))
  }
  const apps = [...new Set(Object.values(groups).flatMap((g) => g.apps ?? []))]
  const revs = await sourceRevisions(loaded.dir, from, apps)
  problems.push(...revs.problems.map((message) => ({message})))
  if (problems.length) throw new DopsError('RESTORE_CHECK', `cannot restore ${o.target} from ${from}: ${problems.length} problem(s); nothing was created`, {exitCode: ExitCode.INVALID_INPUT, problems})
  const derive = (l: LoadedPlan) => derivePlan(l, names)
  return {loaded, names, source: {...o.source, env: name, derive}, counts, countsFrom, revisions: revs.revisions, hooks: restoreHooks(loaded.plan, names)}
}
