/**
 * Planning a static group (pure): hosts the plan no longer lists leave (hostsLeft, then their record is dropped;
 * nothing is run on them), hosts it lists that the state does not know (or that never became ready) join
 * (bootstrap, then hostsJoined once the apps run on them), and joined hosts whose bootstrap changed are bootstrapped
 * again (no new hostsJoined: they are members already).
 */
import type {GroupSpec} from '../plan/types.js'
import type {GroupObservation} from './observe.js'
import type {EnvStep, GroupChange} from './types.js'

export interface StaticPlan {
  steps: EnvStep[]
  /** the hostsJoined announcement, applied after the deploys */
  joined?: EnvStep
  change: GroupChange
}

export function diffStatic(g: string, spec: GroupSpec, provider: string, o: GroupObservation): StaticPlan {
  const steps: EnvStep[] = []
  const names = (l: Array<{name: string}>) => l.map((i) => i.name)
  const leaving = names(o.gone)
  if (leaving.length) {
    if (spec.on?.hostsLeft?.length) steps.push({kind: 'announce', group: g, event: 'hostsLeft', hosts: leaving, gone: false})
    steps.push({kind: 'leave', group: g, hosts: leaving})
  }
  const joining = names(o.live.filter((i) => i.ready === false))
  const again = o.fingerprint ? names(o.live.filter((i) => i.ready !== false && i.data.bootstrap !== o.fingerprint)) : []
  if (joining.length || again.length) steps.push({kind: 'join', group: g, hosts: joining, again, bootstrap: !!spec.bootstrap?.length})
  const joined: EnvStep | undefined = joining.length && spec.on?.hostsJoined?.length ? {kind: 'announce', group: g, event: 'hostsJoined', hosts: joining, new: 0} : undefined
  const change: GroupChange = {group: g, provider, keep: o.live.length, create: 0, destroy: [], pending: 0, updates: [], ignored: o.ignored, apps: spec.apps ?? [], static: {joining, again, leaving}}
  return {steps, ...(joined ? {joined} : {}), change}
}
