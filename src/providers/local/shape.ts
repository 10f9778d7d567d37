/**
 * The shape of a local group's hosts: the group's `instance` fields that, on a cloud provider, only a new host can
 * change (`size`, `image`, `storage`, ...: every field but `count`, `autoScaling`, `firewall` and `tags`, which are
 * counts or in-place settings). A sandbox honours none of them, but records them on each host it makes (its
 * `data.shape`); a host recorded with another shape is outdated, and `env up` replaces it batch by batch as the aws
 * provider's hosts are: the rolling replacement is rehearsed on this machine. A host recorded without a shape (made
 * before dops recorded it) is never outdated: upgrading dops does not replace every sandbox.
 */
import type {InstanceState} from '../../state/local-file.js'
import type {Outdated} from '../types.js'

const NOT_SHAPE = new Set(['count', 'autoScaling', 'firewall', 'tags'])

/** The spec's shape fields, keys sorted (what is recorded on each new host). */
export function shapeOf(spec: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.keys(spec)
      .filter((k) => !NOT_SHAPE.has(k) && spec[k] !== undefined)
      .sort()
      .map((k) => [k, spec[k]]),
  )
}

const show = (v: unknown) => (v === undefined ? '(none)' : typeof v === 'string' ? v : JSON.stringify(v))

/** The fields in which `recorded` differs from `now`, in words: `size 1C1G -> 2C4G`. */
export function shapeChanges(recorded: Record<string, unknown>, now: Record<string, unknown>): string[] {
  const keys = [...new Set([...Object.keys(recorded), ...Object.keys(now)])].sort()
  return keys.filter((k) => JSON.stringify(recorded[k]) !== JSON.stringify(now[k])).map((k) => `${k} ${show(recorded[k])} -> ${show(now[k])}`)
}

/** The hosts whose recorded shape differs from the spec's, with why; none for hosts recorded without a shape. */
export function outdatedHosts(spec: Record<string, unknown>, instances: InstanceState[]): Outdated[] {
  const now = shapeOf(spec)
  const out: Outdated[] = []
  for (const i of instances) {
    const rec = i.data?.shape
    if (!rec || typeof rec !== 'object') continue
    const why = shapeChanges(rec as Record<string, unknown>, now)
    if (why.length) out.push({name: i.name, why})
  }
  return out
}
