/**
 * `dops monitor rules`: the Prometheus alerting rules of the plan's alert policies that have an `expr`, one rule
 * group per environment. `$selector` in an expr becomes the group's target labels (`project="..",env="..",group=".."`),
 * so `up{$selector} == 0` watches that group only; the rule's labels carry project, env and group too (dops maps the
 * alert back to the group by them; `host` comes from the series: the target label dops writes).
 */
import {writeFileAtomic} from '../util/atomic-json.js'
import path from 'node:path'
import {stringify} from 'yaml'
import {InvalidInputError} from '../errors.js'
import type {LoadedPlan} from '../plan/types.js'

export interface RuleFile {
  groups: Array<{name: string; rules: Array<{alert: string; expr: string; for: string; labels: Record<string, string>; annotations?: Record<string, string>}>}>
}

/** PromQL string literal (double quotes, backslash and quote escaped) */
const lit = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`
const forOf = (v: number | string | undefined) => (v === undefined ? '30s' : typeof v === 'number' ? `${v}s` : v)

export function alertRules(loaded: LoadedPlan, envs?: string[]): RuleFile {
  const project = loaded.plan.project
  const groups: RuleFile['groups'] = []
  for (const [env, spec] of Object.entries(loaded.plan.environments ?? {})) {
    if (envs && !envs.includes(env)) continue
    const rules: RuleFile['groups'][number]['rules'] = []
    for (const [group, g] of Object.entries(spec.groups ?? {})) {
      for (const [alert, p] of Object.entries(g.on?.alert ?? {})) {
        if (!p.expr) continue
        const selector = `project=${lit(project)},env=${lit(env)},group=${lit(group)}`
        rules.push({
          alert,
          expr: p.expr.replace(/\$selector\b/g, selector),
          for: forOf(p.for),
          labels: {...(p.labels ?? {}), project, env, group, dops_action: p.action},
          ...(p.annotations ? {annotations: p.annotations} : {}),
        })
      }
    }
    if (rules.length) groups.push({name: `dops_${project}_${env}`, rules})
  }
  return {groups}
}

export function rulesText(r: RuleFile): string {
  return `# written by dops monitor rules: the alert rules of the plan's policies (on.alert.NAME.expr)\n${stringify(r, {lineWidth: 0})}`
}

/** Write the rule file atomically (a temporary name in the same directory, then a rename), readable by prometheus. */
export async function writeRules(file: string, text: string): Promise<void> {
  if (!path.isAbsolute(file)) throw new InvalidInputError(`rules file ${file}: an absolute path is expected`)
  await writeFileAtomic(file, text)
}

export interface RulesReport {
  file?: string
  rules: number
  groups: RuleFile['groups']
  text: string
}

/** Load the plan, make its rules (one environment, or all), and write them to `out` when given. */
export async function monitorRules(p: {cwd: string; planFile?: string; env?: string; out?: string}): Promise<RulesReport> {
  const {findPlanFile, loadPlan} = await import('../plan/load.js')
  const file = p.planFile ? path.resolve(p.cwd, p.planFile) : await findPlanFile(p.cwd)
  if (!file) throw new InvalidInputError('no plan: give -f FILE or run where dops.yml is')
  const {loaded} = await loadPlan(file)
  if (p.env && !loaded.plan.environments?.[p.env]) throw new InvalidInputError(`no environment \`${p.env}\` in ${file} (environments: ${Object.keys(loaded.plan.environments ?? {}).join(', ')})`)
  const r = alertRules(loaded, p.env ? [p.env] : undefined)
  const text = rulesText(r)
  const out = p.out === undefined ? undefined : path.resolve(p.cwd, p.out)
  if (out) await writeRules(out, text)
  return {...(out ? {file: out} : {}), rules: r.groups.reduce((n, g) => n + g.rules.length, 0), groups: r.groups, text}
}
