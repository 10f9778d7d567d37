/** Choose hosts by group, label and name pattern (`web*`, `!web03`, comma lists). */
import {InvalidInputError, type Problem} from '../errors.js'
import type {Host} from '../inventory/host.js'
import {closest} from '../plan/suggest.js'

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

/** What a selection may name besides the hosts' own groups and labels: the environment's groups (some may have no host yet). */
export interface KnownNames {
  groups?: string[]
  labels?: Array<Record<string, unknown> | undefined>
}

const list = (names: Iterable<string>) => [...new Set(names)].sort().join(', ') || 'none'

/**
 * A selection that names a group, label key or label value that exists nowhere is a typo, not an empty selection:
 * invalid input, with the closest name. Host patterns (-H) are globs and may match nothing.
 */
export function checkSelection(hosts: Host[], sel: Selection, known: KnownNames = {}, where = ''): void {
  const groups = new Set([...hosts.flatMap((h) => [h.group, ...h.groups]), ...(known.groups ?? [])])
  const labels = new Map<string, Set<string>>()
  for (const l of [...hosts.map((h) => h.labels), ...(known.labels ?? [])]) {
    for (const [k, v] of Object.entries(l ?? {})) {
      if (!labels.has(k)) labels.set(k, new Set())
      labels.get(k)!.add(String(v))
    }
  }
  const problems: Problem[] = []
  const hint = (word: string, candidates: Iterable<string>) => {
    const c = closest(word, candidates)
    return c === undefined ? undefined : `did you mean \`${c}\`?`
  }
  for (const g of sel.groups?.flatMap((x) => x.split(',')).filter(Boolean) ?? []) {
    if (!groups.has(g)) problems.push({path: `--group ${g}`, message: `no group \`${g}\`${where} (groups: ${list(groups)})`, suggestion: hint(g, groups)})
  }
  for (const l of sel.labels ?? []) {
    const i = l.indexOf('=')
    const key = i < 0 ? l : l.slice(0, i)
    const values = labels.get(key)
    if (!values) problems.push({path: `--label ${l}`, message: `no host has a label \`${key}\`${where} (labels: ${list(labels.keys())})`, suggestion: hint(key, labels.keys())})
    else if (i >= 0 && !values.has(l.slice(i + 1))) {
      const value = l.slice(i + 1)
      const c = closest(value, values)
      problems.push({path: `--label ${l}`, message: `no host has the label ${key}=${value}${where} (${key}: ${list(values)})`, suggestion: c === undefined ? undefined : `did you mean \`${key}=${c}\`?`})
    }
  }
  if (problems.length) throw new InvalidInputError('the selection names a group or label that does not exist', problems)
}
