/** Checks of `schedules:` the schema cannot express (cron syntax, time zone, env, app, group and script references). */
import {statSync} from 'node:fs'
import path from 'node:path'
import type {Problem} from '../errors.js'
import {checkCron, checkTimezone} from '../serve/schedules/cron.js'
import {closest} from './suggest.js'
import type {Plan} from './types.js'
import {formatPath, locate, type PathSegment, type YamlSource} from './yaml-source.js'

export type At = (path: PathSegment[], message: string, suggestion?: string, onKey?: boolean) => void

const obj = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {})
const str = (v: unknown): v is string => typeof v === 'string'

const didYouMean = (name: string, names: string[]): string => {
  const guess = closest(name, names)
  return guess ? `; did you mean \`${guess}\`?` : ''
}

/** The environment a schedule runs in: its `env`, or the plan's only one. */
export function scheduleEnv(plan: Plan, spec: {env?: unknown}): string | undefined {
  if (str(spec.env)) return spec.env
  const envs = Object.keys(obj(plan.environments))
  return envs.length === 1 ? envs[0] : undefined
}

export function checkSchedules(plan: Plan, at: At): void {
  const environments = obj(plan.environments)
  const envNames = Object.keys(environments)
  const apps = Object.keys(obj(plan.apps))
  for (const [name, raw] of Object.entries(obj(plan.schedules))) {
    const s = obj(raw)
    const base: PathSegment[] = ['schedules', name]
    const tzProblem = str(s.timezone) ? checkTimezone(s.timezone) : undefined
    if (tzProblem) at([...base, 'timezone'], tzProblem)
    if (str(s.cron)) {
      const problem = checkCron(s.cron, tzProblem ? undefined : (s.timezone as string | undefined))
      if (problem) at([...base, 'cron'], problem)
    }
    let env: string | undefined
    if (str(s.env)) {
      if (Object.hasOwn(environments, s.env)) env = s.env
      else at([...base, 'env'], `environment \`${s.env}\` is not defined under \`environments\`${didYouMean(s.env, envNames)}`, envNames.length ? `environments: ${envNames.join(', ')}` : undefined)
    } else if (envNames.length === 1) env = envNames[0]
    else at(base, `schedule ${name} needs \`env\`: the plan has ${envNames.length ? `${envNames.length} environments (${envNames.join(', ')})` : 'no environment'}`, undefined, true)
    const groups = env ? obj(obj(environments[env]).groups) : undefined
    const groupNames = Object.keys(groups ?? {})
    const deploy = obj(s.deploy)
    if (str(deploy.app)) {
      if (!apps.includes(deploy.app)) at([...base, 'deploy', 'app'], `app \`${deploy.app}\` is not defined under \`apps\`${didYouMean(deploy.app, apps)}`)
      else if (env && groups && !Object.values(groups).some((g) => Array.isArray(obj(g).apps) && (obj(g).apps as unknown[]).includes(deploy.app))) {
        at([...base, 'deploy', 'app'], `app \`${deploy.app}\` is not deployed by any group of environment ${env}`, `add it to the \`apps\` of a group of ${env}`)
      }
    }
    const run = obj(s.run)
    if (env && groups) {
      const list = str(run.group) ? [run.group] : Array.isArray(run.group) ? run.group : []
      list.forEach((g, i) => {
        if (!str(g) || groupNames.includes(g)) return
        const where = Array.isArray(run.group) ? [...base, 'run', 'group', i] : [...base, 'run', 'group']
        at(where, `group \`${g}\` is not a group of environment ${env}${didYouMean(g, groupNames)}`, closest(g, groupNames) ? undefined : `groups: ${groupNames.join(', ') || '(none)'}`)
      })
    }
    if (str(run.script) && (path.isAbsolute(run.script) || path.normalize(run.script).split(path.sep)[0] === '..')) {
      at([...base, 'run', 'script'], `script \`${run.script}\` is outside the project: expected a path relative to the plan's directory, inside it`)
    }
  }
}

/** `run.script` of each schedule is a regular file inside the project (relative to the plan's directory). */
export function scheduleFileChecks(plan: unknown, source: YamlSource, dir: string): Problem[] {
  const problems: Problem[] = []
  for (const [name, raw] of Object.entries(obj(obj(plan).schedules))) {
    const script = obj(obj(raw).run).script
    if (!str(script) || !script || path.isAbsolute(script) || path.normalize(script).split(path.sep)[0] === '..') continue
    const full = path.resolve(dir, script)
    let kind: string | undefined
    try {
      kind = statSync(full).isFile() ? undefined : 'is not a regular file'
    } catch (e) {
      kind = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : `cannot be read (${(e as NodeJS.ErrnoException).code})`
    }
    const where: PathSegment[] = ['schedules', name, 'run', 'script']
    if (kind) problems.push({file: source.file, ...locate(source, where), path: formatPath(where), message: `schedule script ${full} ${kind}`})
  }
  return problems
}
