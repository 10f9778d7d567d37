/**
 * DNS names as dops compares them (pure): lower case with the trailing dot, Route 53's octal escapes decoded; and
 * the plan's record names (`www`, `@`, a full name) made full in a zone.
 */

/** `www.example.test.`: lower case, trailing dot, octal escapes Route 53 returns (`\052` = `*`) decoded. */
export function normName(name: string): string {
  const decoded = name.replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)))
  const lower = decoded.toLowerCase()
  return lower.endsWith('.') ? lower : `${lower}.`
}
/** A name as people write it: no trailing dot. */
export const shown = (name: string) => name.replace(/\.$/, '')

/**
 * The plan's record name as a full name in the zone: `@` is the apex, a name ending with a dot is absolute, a name
 * equal to the zone or ending with `.<zone>` is full, anything else is relative to the zone.
 */
export function fullName(name: string, zone: string): string {
  const z = normName(zone)
  if (name === '@') return z
  if (name.endsWith('.')) return normName(name)
  const n = normName(name)
  return n === z || n.endsWith(`.${z}`) ? n : normName(`${name}.${shown(z)}`)
}

export const inZone = (full: string, zone: string) => {
  const z = normName(zone)
  return full === z || full.endsWith(`.${z}`)
}
