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

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/

/** The first control character of a path, named (`TAB`, `newline`, `U+0001`), or undefined when there is none. */
export function controlCharIn(p: string): string | undefined {
  const m = CONTROL.exec(p)
  if (!m) return undefined
  const c = m[0].charCodeAt(0)
  return ({9: 'a TAB', 10: 'a newline', 13: 'a carriage return', 0: 'a NUL byte', 27: 'an escape (ESC)'} as Record<number, string>)[c] ?? `the control character U+${c.toString(16).toUpperCase().padStart(4, '0')}`
}

/** A path shown in a message with its control characters escaped (`a\tb`), so the message stays on one line. */
export function showPath(p: string): string {
  return CONTROL.test(p) ? JSON.stringify(p).slice(1, -1) : p
}
