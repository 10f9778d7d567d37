/** Choose hosts by group, label and name pattern (`web*`, `!web03`, comma lists). */
import type {Host} from '../inventory/host.js'

export interface Selection {
  groups?: string[]
  /** `key=value` or `key` (present) */
  labels?: string[]
  /** glob patterns on host names and addresses; `!pattern` excludes */
  names?: string[]
}

function glob(pattern: string): RegExp {
  return new RegExp('^' + pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$')
}

export function selectHosts(hosts: Host[], sel: Selection): Host[] {
  const groups = sel.groups?.flatMap((g) => g.split(',')).filter(Boolean) ?? []
  const patterns = sel.names?.flatMap((n) => n.split(',')).filter(Boolean) ?? []
  const include = patterns.filter((p) => !p.startsWith('!')).map(glob)
  const exclude = patterns.filter((p) => p.startsWith('!')).map((p) => glob(p.slice(1)))
  const labels = (sel.labels ?? []).map((l) => {
    const i = l.indexOf('=')
    return i < 0 ? {key: l} : {key: l.slice(0, i), value: l.slice(i + 1)}
  })
  const seen = new Set<string>()
  return hosts.filter((h) => {
    if (groups.length && !groups.some((g) => h.groups.includes(g) || h.group === g)) return false
    if (labels.some(({key, value}) => (value === undefined ? !(key in h.labels) : h.labels[key] !== value))) return false
    const names = [h.name, h.address]
    if (include.length && !include.some((re) => names.some((n) => re.test(n)))) return false
    if (exclude.some((re) => names.some((n) => re.test(n)))) return false
    // a host that belongs to several selected groups runs once
    if (seen.has(h.name)) return false
    seen.add(h.name)
    return true
  })
}
