/**
 * Checks of `env restore`'s plan keys: environments' `provider` and `restoreFrom`, `restore.hooks` (in
 * cross-checks, so `dops validate` finds them), and the region-specific values of a restore's aws groups (before
 * `env restore` creates anything: every missing one is listed at once, located at the target environment).
 */
import type {Problem} from '../errors.js'
import {deriveEnvironment, unownedStatic, type RestoreNames} from '../env/restore-derive.js'
import {closest} from './suggest.js'
import type {Plan} from './types.js'
import {formatPath, locate, type PathSegment, type YamlSource} from './yaml-source.js'

export type At = (path: PathSegment[], message: string, suggestion?: string, onKey?: boolean) => void

const obj = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {})
const str = (v: unknown): v is string => typeof v === 'string'
const guess = (name: string, names: string[]) => {
  const g = closest(name, names)
  return g ? `; did you mean \`${g}\`?` : ''
}

/** The groups `name` names in dependency order before it (its dependsOn, transitively). */
function dependencies(groups: Record<string, unknown>, name: string, seen = new Set<string>()): Set<string> {
  for (const d of (obj(groups[name]).dependsOn as unknown[] | undefined) ?? []) {
    if (!str(d) || seen.has(d)) continue
    seen.add(d)
    dependencies(groups, d, seen)
  }
  return seen
}

/** The source's group of that name when the environment is restored from another (its entry is then an override). */
export function sourceGroupOf(plan: Plan, env: string, group: string): {provider?: string} | undefined {
  const from = obj(obj(plan.environments)[env]).restoreFrom
  if (!str(from) || from === env) return undefined
  const source = obj(obj(plan.environments)[from])
  const g = obj(source.groups)[group]
  return g === undefined ? undefined : {provider: (obj(g).provider as string | undefined) ?? (source.provider as string | undefined)}
}

export function checkRestore(plan: Plan, at: At, providerTypes: string[]): void {
  const environments = obj(plan.environments)
  const envNames = Object.keys(environments)
  const providers = Object.keys(obj(plan.providers))
  for (const [name, raw] of Object.entries(environments)) {
    const env = obj(raw)
    const base = ['environments', name]
    if (str(env.provider) && !providers.includes(env.provider) && !providerTypes.includes(env.provider)) {
      at([...base, 'provider'], `provider \`${env.provider}\` is not a provider of the plan${guess(env.provider, providers)}`, providers.length ? `providers: ${providers.join(', ')}` : 'declare it under `providers`')
    }
    const from = env.restoreFrom
    if (str(from) && (from === name || !envNames.includes(from))) {
      at([...base, 'restoreFrom'], from === name ? 'an environment cannot be restored from itself' : `\`${from}\` is not an environment of the plan${guess(from, envNames.filter((e) => e !== name))}`)
    }
    const hooks = obj(env.restore).hooks
    if (!Array.isArray(hooks)) continue
    // the groups a restore of this environment builds: its source's with its own, or its own
    const n: RestoreNames = {source: str(from) && envNames.includes(from) && from !== name ? from : name, target: name, name}
    const groups = obj(deriveEnvironment(plan, n).groups)
    const groupNames = Object.keys(groups)
    hooks.forEach((h, i) => {
      const hook = obj(h)
      const path = [...base, 'restore', 'hooks', i]
      if (str(hook.run) === str(hook.script)) at(path, 'a restore hook needs exactly one of `run` and `script`')
      if (str(hook.after) && !groupNames.includes(hook.after)) at([...path, 'after'], `\`${hook.after}\` is not a group of the restored environment${guess(hook.after, groupNames)}`, `groups: ${groupNames.join(', ') || '(none)'}`)
      if (!str(hook.group) || !str(hook.after) || hook.group === hook.after) return
      if (!groupNames.includes(hook.group)) at([...path, 'group'], `\`${hook.group}\` is not a group of the restored environment${guess(hook.group, groupNames)}`, `groups: ${groupNames.join(', ') || '(none)'}`)
      else if (!dependencies(groups, hook.after).has(hook.group)) at([...path, 'group'], `group \`${hook.group}\` has no hosts yet when \`${hook.after}\` is ready: it must be \`${hook.after}\` or a group it depends on`)
    })
  }
}

/** Values of an aws instance that name something of one region (an image by id, a key pair, subnets, security groups). */
const REGIONAL = ['image', 'keyPair', 'subnet', 'subnets', 'securityGroups'] as const

function providerOfName(plan: Plan, name: string | undefined): {type: string; region?: string} {
  const def = name === undefined ? undefined : obj(obj(plan.providers)[name])
  return {type: str(def?.type) ? def.type : (name ?? 'static'), region: str(def?.region) ? def.region : undefined}
}

/**
 * Region-specific values a restore's aws groups lack. A group built by aws in another region than its source (or
 * from another provider) needs each value the source names by id in its own region, from the target's override
 * (`environments.TARGET.groups.GROUP.instance`); an image given by name filter is found in any region. Every
 * missing value is one problem, located at the target environment's entry for the group.
 */
export function regionProblems(plan: Plan, n: RestoreNames, source: YamlSource): Problem[] {
  const problems: Problem[] = []
  const envs = obj(plan.environments)
  const srcEnv = obj(envs[n.source])
  const target = obj(envs[n.target])
  const built = obj(deriveEnvironment(plan, n).groups)
  for (const [g, spec] of Object.entries(built)) {
    const to = providerOfName(plan, obj(spec).provider as string | undefined)
    if (to.type !== 'aws') continue
    const srcGroup = obj(obj(srcEnv.groups)[g])
    const from = providerOfName(plan, (srcGroup.provider as string | undefined) ?? (srcEnv.provider as string | undefined))
    if (from.type === 'aws' && from.region === to.region) continue
    const srcInstance = obj(srcGroup.instance)
    const override = obj(obj(obj(target.groups)[g]).instance)
    const where = from.type === 'aws' ? `region ${from.region ?? '(default)'}` : `provider ${from.type}`
    for (const key of REGIONAL) {
      if (override[key] !== undefined) continue
      const value = srcInstance[key]
      const byId = key !== 'image' || !str(value) || /^ami-[0-9a-f]+$/.test(value)
      const needed = key === 'image' ? byId : value !== undefined
      if (!needed || (key === 'subnet' && override.subnets !== undefined) || (key === 'subnets' && override.subnet !== undefined)) continue
      const path: PathSegment[] = ['environments', n.target, ...(obj(target.groups)[g] ? ['groups', g] : Object.hasOwn(target, 'groups') ? ['groups'] : [])]
      const had = value === undefined ? 'the source has none' : `the source's ${JSON.stringify(value)} is of ${where}`
      problems.push({file: source.file, ...locate(source, path, true), path: formatPath(['environments', n.target, 'groups', g, 'instance', key]), message: `group ${g} is built in region ${to.region ?? '(default)'}: \`instance.${key}\` is missing (${had})`, suggestion: `set environments.${n.target}.groups.${g}.instance.${key}`})
    }
  }
  return problems
}

/**
 * The source's static groups (listed hosts or an inventory: the source's own machines) that the target does not
 * override with its own hosts, inventory or a provider: a restore or a drill never touches the source's machines, so
 * each is one problem, located at the target's entry for the group (else the target environment).
 */
export function staticProblems(plan: Plan, n: RestoreNames, source: YamlSource): Problem[] {
  const target = obj(obj(plan.environments)[n.target])
  return unownedStatic(plan, n).map((g) => {
    const path: PathSegment[] = ['environments', n.target, ...(obj(target.groups)[g] ? ['groups', g] : Object.hasOwn(target, 'groups') ? ['groups'] : [])]
    return {file: source.file, ...locate(source, path, true), path: formatPath(['environments', n.target, 'groups', g, 'hosts']), message: `group ${g} of ${n.source} is static (its hosts are ${n.source}'s machines, which a restore never touches): ${n.target} needs its own hosts or a provider for it`, suggestion: `set environments.${n.target}.groups.${g}.hosts (or .provider), or environments.${n.target}.provider`}
  })
}
