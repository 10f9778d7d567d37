/** glob(3) as Include uses it: `*`, `?` and `[…]` per path segment, dot files only when asked for, sorted. */
import {readdirSync, statSync} from 'node:fs'
import path from 'node:path'

const compiled = new Map<string, RegExp>()

/** OpenSSH's match_pattern: `*` and `?` wildcards over the whole string (compiled once per pattern: lookups are hot). */
export function wildcardToRegExp(pattern: string, classes = false): RegExp {
  const key = (classes ? '1' : '0') + pattern
  let r = compiled.get(key)
  if (!r) {
    r = compile(pattern, classes)
    if (compiled.size < 10_000) compiled.set(key, r)
  }
  return r
}

function compile(pattern: string, classes: boolean): RegExp {
  let re = ''
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!
    if (c === '*') re += '.*'
    else if (c === '?') re += '.'
    else if (classes && c === '[' && pattern.indexOf(']', i + 2) > 0) {
      const end = pattern.indexOf(']', i + 2)
      const body = pattern.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')
      re += `[${body}]`
      i = end
    } else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&')
  }
  return new RegExp(`^${re}$`, 's')
}

export function globPaths(pattern: string): string[] {
  const parts = pattern.split('/')
  let bases = [parts[0] === '' ? '/' : '.']
  for (const [i, part] of parts.entries()) {
    if (i === 0 && part === '') continue
    if (part === '') continue
    const last = i === parts.length - 1
    const next: string[] = []
    for (const base of bases) {
      if (!/[*?[]/.test(part)) {
        const p = path.join(base, part)
        try {
          if (last || statSync(p).isDirectory()) statSync(p), next.push(p)
        } catch {
          // glob: a missing path matches nothing
        }
        continue
      }
      let names: string[]
      try {
        names = readdirSync(base).sort()
      } catch {
        continue
      }
      const re = wildcardToRegExp(part, true)
      for (const n of names) if ((part.startsWith('.') || !n.startsWith('.')) && re.test(n)) next.push(path.join(base, n))
    }
    bases = next
  }
  return parts.length === 1 && parts[0] === '' ? [] : bases.sort()
}
