/** `dops validate` on a static group: what `env up` does with its hosts, and what it cannot honour. */
import type {Problem} from './errors.js'
import type {GroupSpec, LoadedPlan} from './plan/types.js'
import {locate} from './plan/yaml-source.js'

/** e.g. "2 existing host(s), never created or destroyed; env up bootstraps each once (1 script; again when it changes), hostsJoined -> lb" */
export function describeStatic(g: GroupSpec, hosts: number): string {
  const boot = g.bootstrap?.length ? `env up bootstraps each host once when it joins (${g.bootstrap.length} script(s); again when they change)` : 'env up records each host when it joins (no bootstrap)'
  const ev = (k: 'hostsJoined' | 'hostsLeft') => (g.on?.[k]?.length ? `; ${k} -> ${g.on[k].map((h) => h.group).join(', ')}` : '')
  return `${hosts} existing host(s), never created or destroyed; ${boot}${ev('hostsJoined')}${ev('hostsLeft')}${g.apps?.length ? `; apps: ${g.apps.join(', ')}` : ''}; a host removed from the plan leaves (nothing is run on it)`
}

/** What a static group asks for that env up cannot do. */
export function staticWarnings(loaded: LoadedPlan, file: string, envName: string, gName: string, g: GroupSpec, hosts: number): Problem[] {
  const out: Problem[] = []
  const base = ['environments', envName, 'groups', gName]
  const at = (p: string[], message: string): Problem => ({file, ...locate(loaded.source, p), path: p.join('.'), severity: 'warning', message})
  if (!hosts && (g.bootstrap?.length || g.on?.hostsJoined?.length || g.on?.hostsLeft?.length)) out.push(at(g.inventory ? [...base, 'inventory'] : [...base, 'hosts'], 'this static group has no hosts: its bootstrap and event handlers never run'))
  return out
}
