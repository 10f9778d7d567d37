/** Ansible host patterns with ranges: `web[01:20].example.com`, `db-[a:c]`, `node[0:10:2]`. */
const RANGE = /\[([^\]:]+):([^\]:]+)(?::(\d+))?\]/
const RANGE_ALL = new RegExp(RANGE.source, 'g')

/**
 * The most hosts one pattern, one inventory or one plan group may expand to. Far above any real fleet, far below
 * what exhausts memory (a pattern of three ranges of 10,000 would be 10^12 names).
 */
export const MAX_HOSTS = 100_000

/** The values of one `[START:END(:STEP)]` range, checked; `count` only when `expand` is false. */
function rangeValues(whole: string, startRaw: string, endRaw: string, stepRaw: string | undefined, expand: boolean): {count: number; values: string[]} {
  const step = stepRaw ? Number(stepRaw) : 1
  if (!(step > 0)) throw new Error(`invalid step in host range ${whole}`)
  let start: number
  let end: number
  let format: (i: number) => string
  if (/^\d+$/.test(startRaw) && /^\d+$/.test(endRaw)) {
    const width = startRaw.length > 1 && startRaw.startsWith('0') ? startRaw.length : 0
    start = Number(startRaw)
    end = Number(endRaw)
    format = (i) => String(i).padStart(width, '0')
  } else if (/^[a-zA-Z]$/.test(startRaw) && /^[a-zA-Z]$/.test(endRaw)) {
    start = startRaw.charCodeAt(0)
    end = endRaw.charCodeAt(0)
    format = (i) => String.fromCharCode(i)
  } else {
    throw new Error(`invalid host range ${whole}: expected [START:END] of numbers or single letters`)
  }
  if (end < start) throw new Error(`host range ${whole} ends before it starts`)
  const count = Math.floor((end - start) / step) + 1
  if (!expand) return {count, values: []}
  const values: string[] = []
  for (let i = start; i <= end; i += step) values.push(format(i))
  return {count, values}
}

/** How many names a pattern expands to, computed without expanding it (throws on an invalid range). */
export function countHostRange(pattern: string): number {
  let total = 1
  for (const m of pattern.matchAll(RANGE_ALL)) total *= rangeValues(m[0], m[1]!, m[2]!, m[3], false).count
  return total
}

/** Every name of a pattern. Refuses (before expanding anything) a pattern of more than `limit` names. */
export function expandHostRange(pattern: string, limit = MAX_HOSTS): string[] {
  const total = countHostRange(pattern)
  if (total > limit) throw new Error(`host pattern ${pattern.length > 60 ? pattern.slice(0, 60) + '…' : pattern} expands to ${total > 1e15 ? 'more than 10^15' : total.toLocaleString('en-US')} hosts; the most is ${limit.toLocaleString('en-US')}`)
  return expand(pattern)
}

/** The product of the ranges, first range outermost (as Ansible orders them); iterative, so any number of ranges. */
function expand(pattern: string): string[] {
  let out = ['']
  let rest = pattern
  for (let m = RANGE.exec(rest); m; m = RANGE.exec(rest)) {
    const before = rest.slice(0, m.index)
    const values = rangeValues(m[0], m[1]!, m[2]!, m[3], true).values
    const next: string[] = []
    for (const p of out) for (const v of values) next.push(p + before + v)
    out = next
    rest = rest.slice(m.index + m[0].length)
  }
  return out.map((p) => p + rest)
}
