/**
 * dops's own JSON files (environment state, run journals) read back: a truncated or hand-broken file is a problem
 * located in that file (line and column of the syntax error, or the field that is wrong), never a crash.
 */
import type {Problem} from '../errors.js'

/** Parse `text`; on a syntax error, a problem at the line and column where it was found. */
export function parseJsonText(file: string, text: string): {value: unknown} | {problem: Problem} {
  try {
    return {value: JSON.parse(text) as unknown}
  } catch (e) {
    const msg = (e as Error).message
    const at = /at position (\d+)/.exec(msg)
    const pos = at ? Number(at[1]) : /end of JSON input/.test(msg) ? text.length : 0
    const before = text.slice(0, pos)
    const line = before.split('\n').length
    const column = pos - before.lastIndexOf('\n')
    const what = /end of JSON input/.test(msg) || pos >= text.length ? 'the file ends early (truncated?)' : msg.replace(/ in JSON at position \d+.*$/, '')
    return {problem: {file, line, column, message: `not valid JSON: ${what}`}}
  }
}

const kind = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v)

/** A small shape check for records dops wrote: each rule names the JSON path and what it expected there. */
export function checkShape(file: string, value: unknown, rules: Array<[path: string, expected: 'object' | 'array' | 'string' | 'number']>): Problem | undefined {
  for (const [p, expected] of rules) {
    let v: unknown = value
    for (const k of p === '' ? [] : p.split('.')) v = v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>)[k] : undefined
    const ok = expected === 'array' ? Array.isArray(v) : expected === 'object' ? v !== null && typeof v === 'object' && !Array.isArray(v) : typeof v === expected
    if (!ok) return {file, path: p || '(top level)', message: `expected ${expected === 'array' ? 'a list' : expected === 'object' ? 'an object' : 'a ' + expected}, found ${v === undefined ? 'nothing' : kind(v)}`}
  }
  return undefined
}
