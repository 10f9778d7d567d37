/** Durations in plans and flags: seconds as a number, or `500ms`, `30s`, `5m`, `1h`. Returns milliseconds. */
export function parseDuration(value: number | string | undefined): number | undefined {
  if (value === undefined) return undefined
  if (typeof value === 'number') return value * 1000
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim())
  if (!m) throw new Error(`invalid duration \`${value}\`: expected e.g. 30s, 5m, 1h or 500ms`)
  const n = Number(m[1])
  return n * ({ms: 1, s: 1000, m: 60_000, h: 3_600_000}[m[2] ?? 's'] ?? 1000)
}

export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)}ms` : ms < 60_000 ? `${(ms / 1000).toFixed(2)}s` : `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`
}
