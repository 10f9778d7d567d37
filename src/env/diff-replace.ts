/**
 * Planning a rolling replacement (pure): the live hosts a provider says are outdated (size, image, storage, a launch
 * template version) are replaced batch by batch, create-before-destroy, so the group never has fewer ready hosts
 * than it should. Per batch: create its new hosts, prepare them (SSH, bootstrap), deploy the group's apps to them
 * (only them), announce them (hostsJoined), then the hosts they replace leave (hostsLeft, drain, destroy).
 */
import {planRollout, type StrategySpec} from '../deploy/strategy.js'
import type {GroupSpec} from '../plan/types.js'
import type {Outdated} from '../providers/types.js'
import type {Batch, DesiredRevision, EnvStep} from './types.js'

/**
 * Hosts per replacement batch: the most an app of the group takes out of service at once in its rolling deploy
 * (`strategy`: minHealthy, batch, preset; its first batch size for `count` hosts), the smallest over the group's
 * apps; 1 without apps (or a strategy that cannot be planned for `count`); never more than `outdated`.
 */
export function replaceBatchSize(count: number, outdated: number, strategies: Array<StrategySpec | undefined>): number {
  if (outdated <= 0) return 0
  const sizes = strategies.map((s) => {
    try {
      const r = planRollout(Math.max(1, count), s ?? {})
      return Math.max(1, r.sizes[0] ?? 1)
    } catch {
      return 1
    }
  })
  return Math.max(1, Math.min(outdated, ...(sizes.length ? sizes : [1])))
}

/** The steps of the group's replacement, batch after batch. */
export function replacementSteps(g: string, spec: GroupSpec, outdated: Outdated[], size: number, desired: Record<string, DesiredRevision>): EnvStep[] {
  const steps: EnvStep[] = []
  const of = Math.ceil(outdated.length / size)
  for (let n = 1; n <= of; n++) {
    const replacing = outdated.slice((n - 1) * size, n * size)
    const old = replacing.map((r) => r.name)
    const batch: Batch = {group: g, n, of, replacing}
    steps.push({kind: 'create', group: g, count: replacing.length, batch})
    steps.push({kind: 'prepare', group: g, hosts: [], new: replacing.length, batch})
    for (const app of spec.apps ?? []) steps.push({kind: 'deploy', app, revision: desired[app]!, behind: [], newHosts: true, batch})
    if (spec.on?.hostsJoined?.length) steps.push({kind: 'announce', group: g, event: 'hostsJoined', hosts: [], new: replacing.length, batch})
    if (spec.on?.hostsLeft?.length) steps.push({kind: 'announce', group: g, event: 'hostsLeft', hosts: old, gone: false, batch})
    if (spec.apps?.length) steps.push({kind: 'drain', group: g, hosts: old, batch})
    steps.push({kind: 'destroy', group: g, hosts: old, batch})
  }
  return steps
}

/**
 * The order in which a group's hosts are kept when its count shrinks; the tail is removed. Serving hosts are kept
 * longest: current ready hosts first (in their order), then outdated ones (they serve until replaced), then stopped
 * ones, then hosts that never became ready (an interrupted batch's new host, a failed bootstrap, an adopted one).
 */
export function keepOrder<T extends {name: string; ready?: boolean}>(live: T[], outdated: Set<string>, stopped: Set<string>): T[] {
  const rank = (i: T) => (stopped.has(i.name) ? 2 : i.ready === false ? 3 : outdated.has(i.name) ? 1 : 0)
  return live
    .map((i, k) => ({i, k}))
    .sort((a, b) => rank(a.i) - rank(b.i) || a.k - b.k)
    .map((x) => x.i)
}
