/**
 * `env restore`: the environment to build, derived in memory from the plan (pure: no file, no provider). The target
 * environment gets the source's groups, each merged with the target's `groups` entry of the same name (overrides:
 * region-specific values such as `instance.image`), built with the target's provider: the override's own
 * `provider`, else the target environment's `provider`, else the source group's. Groups only the target lists are
 * kept as they are. Environment settings (vars, ssh) are the source's with the target's over them; load balancers
 * are the target's when it has them, else the source's (their names carry the environment). DNS is only the
 * target's own `dns:`, never the source's (its records are the source's state's); a drill builds none (its names are
 * the live ones). A group's listed hosts or inventory are only the target's own: the source's machines are never
 * part of the target.
 */
import type {EnvironmentSpec, GroupSpec, LoadedPlan, Plan} from '../plan/types.js'

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)

/** Objects merged key by key (the override's over the base's); anything else (lists included) replaced. */
export function mergeDeep<T>(base: T, over: unknown): T {
  if (over === undefined) return base
  if (!isObj(base) || !isObj(over)) return over as T
  const out: Obj = {...base}
  for (const [k, v] of Object.entries(over)) out[k] = mergeDeep(out[k], v)
  return out as T
}

export interface RestoreNames {
  source: string
  target: string
  /** the environment built: the target, or a drill's `drill-<target>` */
  name: string
  drill?: boolean
}

/** The provider a group of the target is built with (see the module's comment). */
export function targetProvider(plan: Plan, n: RestoreNames, group: string): string | undefined {
  const target = plan.environments?.[n.target]
  const src = plan.environments?.[n.source]?.groups?.[group]
  return target?.groups?.[group]?.provider ?? target?.provider ?? src?.provider ?? plan.environments?.[n.source]?.provider
}

export function providerType(plan: Plan, name: string | undefined): string {
  return name === undefined ? 'static' : (plan.providers?.[name]?.type ?? name)
}

/** The source's groups a restore would build as static without hosts of the target's own (refused). */
export function unownedStatic(plan: Plan, n: RestoreNames): string[] {
  const over = plan.environments?.[n.target]?.groups ?? {}
  return Object.keys(plan.environments?.[n.source]?.groups ?? {}).filter((g) => providerType(plan, targetProvider(plan, n, g)) === 'static' && !over[g]?.hosts && !over[g]?.inventory)
}

/** What the report says about what a restore does not take from the source. */
export function restoreNotes(plan: Plan, n: RestoreNames): string[] {
  const source = plan.environments?.[n.source]
  const target = plan.environments?.[n.target]
  if (!source?.dns) return []
  if (n.drill) return [`DNS: a drill builds no records (${n.source}'s names are live ones)`]
  if (target?.dns) return [`DNS: ${n.target}'s own \`dns:\` is built; ${n.source}'s records stay ${n.source}'s`]
  return [`DNS: ${n.source}'s records are not rebuilt (they are ${n.source}'s, in its state); set environments.${n.target}.dns to build ${n.target}'s own`]
}

/** One group of the target: the source's, the override merged over it, the target's provider. */
export function deriveGroup(plan: Plan, n: RestoreNames, group: string): GroupSpec {
  const src = plan.environments?.[n.source]?.groups?.[group]
  const over = plan.environments?.[n.target]?.groups?.[group]
  if (!src) return over!
  const merged = mergeDeep<GroupSpec>(src, over)
  const provider = targetProvider(plan, n, group)
  const out: GroupSpec = {...merged, ...(provider ? {provider} : {})}
  // the source's listed hosts (or inventory) are its machines, never the target's: a restore keeps only the
  // target's own (a static group without them is refused by restore-checks.ts staticProblems)
  if (!over?.hosts) delete out.hosts
  if (over?.inventory) out.inventory = over.inventory
  else delete out.inventory
  return out
}

/** The target environment as `env up` builds it. */
export function deriveEnvironment(plan: Plan, n: RestoreNames): EnvironmentSpec {
  const source = plan.environments?.[n.source] ?? {}
  const target = plan.environments?.[n.target] ?? {}
  const names = [...new Set([...Object.keys(source.groups ?? {}), ...Object.keys(target.groups ?? {})])]
  const groups = Object.fromEntries(names.map((g) => [g, deriveGroup(plan, n, g)]))
  const out: EnvironmentSpec = {
    ...(target.description ?? source.description ? {description: target.description ?? source.description} : {}),
    ...(source.vars || target.vars ? {vars: {...source.vars, ...target.vars}} : {}),
    ...(source.ssh || target.ssh ? {ssh: {...source.ssh, ...target.ssh}} : {}),
    ...(target.provider ? {provider: target.provider} : {}),
    groups,
    ...(target.automation ? {automation: target.automation} : {}),
    ...(target.restore ?? source.restore ? {restore: target.restore ?? source.restore} : {}),
  }
  const lbs = target.loadBalancers ?? source.loadBalancers
  if (lbs) out.loadBalancers = lbs
  // DNS records belong to the state of the environment that made them: a restore builds only the target's own
  if (target.dns && !n.drill) out.dns = target.dns
  return out
}

/**
 * The plan with the built environment in it (`name`), as every command of the restore sees it (env up, deploys,
 * status, down). Nothing of the loaded plan is changed: the environments map is a new object.
 */
export function derivePlan(loaded: LoadedPlan, n: RestoreNames): LoadedPlan {
  const env = deriveEnvironment(loaded.plan, n)
  return {...loaded, plan: {...loaded.plan, environments: {...loaded.plan.environments, [n.name]: env}}}
}

/** The hooks of the restore: the target's `restore.hooks`, else the source's. */
export function restoreHooks(plan: Plan, n: RestoreNames) {
  return plan.environments?.[n.target]?.restore?.hooks ?? plan.environments?.[n.source]?.restore?.hooks ?? []
}

/**
 * How every command sees an environment that is (or was) restored from another: derived from its source, so `env
 * up`, `deploy`, `env status` and `env down` know the groups the restore built. The source is the one its state
 * says it was restored from, else its `restoreFrom`; other environments are left as they are.
 */
export function restoredView(loaded: LoadedPlan, env: string, restoredFrom?: string): LoadedPlan {
  const source = restoredFrom ?? loaded.plan.environments?.[env]?.restoreFrom
  if (!source || source === env || !loaded.plan.environments?.[source]) return loaded
  return derivePlan(loaded, {source, target: env, name: env})
}
