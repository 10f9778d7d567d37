/** Rolling batches and failure budgets: pure arithmetic. */
import type {CountOrPercent} from '../plan/types.js'

export type BatchSpec = CountOrPercent | CountOrPercent[]

/** Parse a count or percentage (`5`, `"20%"`, `"5"`). */
export function parseCountOrPercent(v: CountOrPercent): {count?: number; percent?: number} {
  if (typeof v === 'number') {
    if (!Number.isInteger(v) || v < 0) throw new Error(`expected a whole number or a percentage, got ${v}`)
    return {count: v}
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*(%?)\s*$/.exec(v)
  if (!m) throw new Error(`expected a count such as 5 or a percentage such as 20%, got \`${v}\``)
  const n = Number(m[1])
  if (m[2]) {
    if (n > 100) throw new Error(`a percentage cannot exceed 100%, got \`${v}\``)
    return {percent: n}
  }
  if (!Number.isInteger(n)) throw new Error(`a count must be a whole number, got \`${v}\``)
  return {count: n}
}

/** The size of one batch entry for `total` hosts: a percentage rounds up, and a batch has at least one host. */
function sizeOf(entry: CountOrPercent, total: number): number {
  const {count, percent} = parseCountOrPercent(entry)
  const n = count ?? Math.ceil((total * (percent ?? 100)) / 100)
  return Math.max(1, n)
}

/**
 * Split `total` hosts into batch sizes. No spec: one batch of all. A list (`[1, "10%", "50%"]`) gives successive
 * batches; its last entry repeats until every host is placed.
 */
export function planBatches(total: number, spec?: BatchSpec): number[] {
  if (total <= 0) return []
  if (spec === undefined) return [total]
  const entries = Array.isArray(spec) ? spec : [spec]
  if (entries.length === 0) return [total]
  const sizes: number[] = []
  let placed = 0
  for (let i = 0; placed < total; i++) {
    const entry = entries[Math.min(i, entries.length - 1)]!
    const n = Math.min(sizeOf(entry, total), total - placed)
    sizes.push(n)
    placed += n
  }
  return sizes
}

/**
 * How many failures a run may absorb: a count, or a percentage of all hosts rounded down. Undefined means no budget:
 * every host is attempted whatever happens.
 */
export function failureBudget(total: number, spec?: CountOrPercent): number | undefined {
  if (spec === undefined) return undefined
  const {count, percent} = parseCountOrPercent(spec)
  return count ?? Math.floor((total * (percent ?? 0)) / 100)
}
