/**
 * Planning as data: from the plan, the state and what the providers and hosts say (observations), the ordered steps
 * that bring the environment to the plan. Pure: no host, no provider, no file. `env plan` prints these steps and
 * `env up` applies exactly them.
 */
import {InvalidInputError} from '../errors.js'
import type {GroupSpec} from '../plan/types.js'
import type {EnvState} from '../state/local-file.js'
import type {StrategySpec} from '../deploy/strategy.js'
import {keepOrder, replaceBatchSize, replacementSteps} from './diff-replace.js'
import {diffStatic} from './diff-static.js'
import type {Observations} from './observe.js'
import type {EnvStep, GroupChange} from './types.js'

export interface DiffInput {
  envName: string
  /** groups in dependency order */
  order: string[]
  groups: Record<string, GroupSpec>
  /** provider name and type of each group */
  providers: Record<string, {name: string; type: string}>
  /** static groups: their hosts' names */
  staticHosts: Record<string, string[]>
  state: EnvState
  observed: Observations
  scale?: Record<string, number>
  reconcile?: boolean
  /** the plan's apps' rollout strategies: how many hosts a replacement batch takes */
  apps?: Record<string, {strategy?: StrategySpec}>
}

/** The group's host count in the plan: `count`, else an Auto Scaling group's `desired` (then `min`), else 1. */
export function plannedCount(spec: GroupSpec): number {
  const i = (spec.instance ?? {}) as {count?: number; autoScaling?: {desired?: number; min?: number}}
  return Number(i.count ?? i.autoScaling?.desired ?? i.autoScaling?.min ?? 1)
}

/** `dops scale GROUP=N`: the group exists, a provider makes its hosts, and N is within its Auto Scaling range. */
export function checkScale(d: Pick<DiffInput, 'envName' | 'groups' | 'providers' | 'scale'>): void {
  for (const [g, n] of Object.entries(d.scale ?? {})) {
    const spec = d.groups[g]
    if (!spec) throw new InvalidInputError(`no group \`${g}\` in environment ${d.envName} (groups: ${Object.keys(d.groups).join(', ')})`)
    if (d.providers[g]!.type === 'static') throw new InvalidInputError(`group ${g} has static hosts: dops scale adds and removes hosts that a provider creates`)
    const asg = (spec.instance as {autoScaling?: {min?: number; max?: number}} | undefined)?.autoScaling
    if (asg && ((asg.min !== undefined && n < asg.min) || (asg.max !== undefined && n > asg.max))) throw new InvalidInputError(`group ${g}: ${n} is outside its Auto Scaling range (min ${asg.min ?? 0}, max ${asg.max ?? '-'}); change autoScaling in the plan to go there`)
  }
}

/** How many hosts the group should have: a `scale` now, else one remembered while the plan's count is unchanged. */
export function wantedCount(d: Pick<DiffInput, 'groups' | 'state' | 'scale'>, g: string): number {
  const planCount = plannedCount(d.groups[g]!)
  const scaled = d.state.groups[g]?.scaled
  return d.scale?.[g] ?? (scaled && scaled.planCount === planCount ? scaled.desired : planCount)
}

export function diff(d: DiffInput): {changes: GroupChange[]; steps: EnvStep[]} {
  const changes: GroupChange[] = []
  const steps: EnvStep[] = []
  const joined: EnvStep[] = []
  const leaving = new Set<string>()
  const fresh = new Set<string>()
  const replacing: EnvStep[] = []
  for (const g of d.order) {
    const spec = d.groups[g]!
    const prov = d.providers[g]!
    const apps = spec.apps ?? []
    const o = d.observed.groups[g]
    if (prov.type === 'static' && o) {
      const planned = diffStatic(g, spec, prov.name, o)
      steps.push(...planned.steps)
      if (planned.joined) joined.push(planned.joined)
      for (const n of planned.change.static!.joining) fresh.add(n)
      for (const n of planned.change.static!.leaving) leaving.add(n)
      changes.push(planned.change)
      continue
    }
    if (prov.type === 'static' || !o) {
      changes.push({group: g, provider: prov.name, keep: d.staticHosts[g]?.length ?? 0, create: 0, destroy: [], pending: 0, updates: [], ignored: [], apps})
      continue
    }
    const names = (l: Array<{name: string}>) => l.map((i) => i.name)
    const want = d.reconcile ? o.live.length : wantedCount(d, g)
    // reconcile neither starts, replaces, creates nor destroys: stopped and outdated hosts are only kept
    const stopped = new Set(d.reconcile ? [] : names(o.stopped ?? []))
    const outdatedNames = new Set(d.reconcile ? [] : (o.outdated ?? []).map((x) => x.name))
    // when the count shrinks, hosts that serve nothing go first (not ready, stopped), then outdated ones, then the last
    const ordered = keepOrder(o.live, outdatedNames, stopped)
    const kept = ordered.slice(0, want)
    const extra = ordered.slice(want)
    const create = Math.max(0, want - o.live.length)
    const starting = kept.filter((i) => stopped.has(i.name))
    const pending = kept.filter((i) => i.ready === false && !stopped.has(i.name))
    const replace = (o.outdated ?? []).filter((x) => outdatedNames.has(x.name) && kept.some((k) => k.name === x.name))
    const hasLeft = !!spec.on?.hostsLeft?.length
    for (const i of [...extra, ...o.gone]) leaving.add(i.name)
    // stopped hosts run again before anything else of the group; settings (firewall, tags, Auto Scaling bounds, a
    // launch template version) are brought to the plan before any host is created or destroyed
    if (starting.length) steps.push({kind: 'start', group: g, hosts: names(starting)})
    const updates = d.reconcile ? [] : o.drift
    if (updates.length) steps.push({kind: 'update', group: g, settings: updates})
    if (o.gone.length) {
      if (hasLeft) steps.push({kind: 'announce', group: g, event: 'hostsLeft', hosts: names(o.gone), gone: true})
      steps.push({kind: 'forget', group: g, hosts: names(o.gone)})
    }
    if (extra.length) {
      // the handlers of hostsLeft see the membership without the leaving hosts, then the apps on the leaving hosts
      // are taken out of traffic and stopped (not on a stopped host: nothing runs there), then the hosts go
      if (hasLeft) steps.push({kind: 'announce', group: g, event: 'hostsLeft', hosts: names(extra), gone: false})
      const draining = extra.filter((i) => !stopped.has(i.name))
      if (apps.length && draining.length) steps.push({kind: 'drain', group: g, hosts: names(draining)})
      steps.push({kind: 'destroy', group: g, hosts: names(extra)})
    }
    if (create) steps.push({kind: 'create', group: g, count: create})
    if (d.reconcile && o.fresh.length) steps.push({kind: 'adopt', group: g, hosts: names(o.fresh)})
    if (pending.length || create) {
      steps.push({kind: 'prepare', group: g, hosts: names(pending), new: create})
      for (const n of names(pending)) fresh.add(n)
    }
    // started hosts are members again (their addresses may have changed): announced with the prepared ones
    if ((pending.length || create || starting.length) && spec.on?.hostsJoined?.length) joined.push({kind: 'announce', group: g, event: 'hostsJoined', hosts: [...names(pending), ...names(starting)], new: create})
    const batch = replaceBatchSize(want, replace.length, apps.map((a) => d.apps?.[a]?.strategy))
    if (replace.length) replacing.push(...replacementSteps(g, spec, replace, batch, Object.fromEntries(apps.map((a) => [a, d.observed.apps[a]!.desired]))))
    changes.push({
      group: g,
      provider: prov.name,
      keep: Math.min(want, o.live.length) - replace.length,
      create,
      destroy: names(extra),
      ...(o.gone.length ? {gone: names(o.gone)} : {}),
      ...(replace.length ? {replace, replaceBatch: batch} : {}),
      ...(starting.length ? {start: names(starting)} : {}),
      pending: pending.length,
      updates,
      ignored: o.ignored,
      apps,
    })
  }
  // environment-level resources once every group's hosts are provisioned (a firewall `group:` source finds its
  // security group) and before the first deploy (whose traffic control needs the target groups)
  const resources = (d.observed.resources ?? []).filter((r) => r.lines.length).map((r) => ({key: r.key, lines: r.lines}))
  if (resources.length) steps.push({kind: 'resources', changes: resources})
  // apps: deployed where a host does not run the desired revision (new hosts, prepared ones, or all after a change)
  for (const app of [...new Set(changes.flatMap((c) => c.apps))]) {
    const a = d.observed.apps[app]!
    const groups = changes.filter((c) => c.apps.includes(app))
    // hosts that are started again are deployed to when they are behind (known after they start)
    const behind = a.behind?.filter((h) => !leaving.has(h) && !fresh.has(h))
    steps.push({kind: 'deploy', app, revision: a.desired, behind, newHosts: groups.some((c) => c.create > 0 || c.pending > 0 || (c.static?.joining.length ?? 0) > 0)})
  }
  // topology events last: the other groups get the membership once the new hosts run the apps
  steps.push(...joined)
  // then the replacements, group by group in dependency order, once the counts are right
  steps.push(...replacing)
  return {changes, steps}
}

/** Does applying the steps change anything? (a deploy step whose hosts all run the desired revision does not) */
export function changesAnything(steps: EnvStep[]): boolean {
  return steps.some((s) => s.kind !== 'deploy' || s.newHosts || (s.behind?.length ?? 0) > 0)
}
