/** Paths in a revision and on a host: normalised, and refused when they escape their root. */
import path from 'node:path'

/**
 * A path relative to the bundle root (a leading `/` is harmless, as in the agent, which joins it to the archive
 * directory). `''` is the bundle root itself. Undefined when the path leaves the bundle (`../x`, `a/../../x`).
 */
export function bundleRelative(p: string): string | undefined {
  const rel = p.trim().replace(/^\/+/, '')
  if (rel === '' || rel === '.') return ''
  const norm = path.posix.normalize(rel).replace(/\/+$/, '')
  if (norm === '..' || norm.startsWith('../')) return undefined
  return norm === '.' ? '' : norm
}

/** An absolute destination, normalised; undefined when it is not absolute. */
export function absoluteDestination(p: string): string | undefined {
  const t = p.trim()
  if (!t.startsWith('/')) return undefined
  const norm = path.posix.normalize(t)
  return norm.length > 1 ? norm.replace(/\/+$/, '') : norm
}
