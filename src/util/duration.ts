/** Durations in plans and flags: seconds as a number, or `500ms`, `30s`, `5m`, `1h`. Returns milliseconds. */
import {InvalidInputError} from '../errors.js'

/**
 * The longest duration dops accepts: 2^31-1 ms (about 24.8 days, 596 h), the most a Node.js timer can wait (a
 * longer one fires after 1 ms).
 */
export const MAX_DURATION_MS = 2 ** 31 - 1

/** The problem with a duration, or undefined when it is valid. */
export function checkDuration(value: number | string): string | undefined {
  try {
    parseDuration(value)
    return undefined
  } catch (e) {
    return (e as Error).message
  }
}

export function parseDuration(value: number | string | undefined): number | undefined {
  if (value === undefined) return undefined
  let ms: number
  if (typeof value === 'number') ms = value * 1000
  else {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim())
    if (!m) throw new InvalidInputError(`invalid duration \`${value}\`: expected e.g. 30s, 5m, 1h or 500ms`)
    ms = Number(m[1]) * ({ms: 1, s: 1000, m: 60_000, h: 3_600_000}[m[2] ?? 's'] ?? 1000)
  }
  if (!Number.isFinite(ms) || ms < 0) throw new InvalidInputError(`invalid duration \`${value}\`: expected a positive number of seconds or e.g. 30s, 5m, 1h`)
  if (ms > MAX_DURATION_MS) throw new InvalidInputError(`duration \`${value}\` is too long: the most is 596h (24.8 days, 2^31-1 ms)`)
  return ms
}

export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)}ms` : ms < 60_000 ? `${(ms / 1000).toFixed(2)}s` : `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`
}
