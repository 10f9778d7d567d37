/**
 * Ajv errors as problems a person can act on: the field path, its line and column, what was expected, and a
 * suggestion for a misspelt key or value. oneOf noise is reduced to the branch that matches the value's type.
 */
import type {ErrorObject} from 'ajv'
import type {Problem} from '../errors.js'
import {closest} from './suggest.js'
import {interpolatedFrom} from './interpolate.js'
import {formatPath, locate, pointerToPath, type PathSegment, type YamlSource} from './yaml-source.js'
import type {Node} from 'yaml'

/** What each pattern of the schemas means, in words (a raw regular expression is never shown). */
const PATTERN_TEXT: Record<string, string> = {
  '^[a-z0-9][a-z0-9-]{0,62}$': 'must be lower-case letters, digits and dashes, starting with a letter or digit, at most 63 characters',
  '^[a-z][a-z0-9-]*$': 'must be lower-case letters, digits and dashes, starting with a letter',
  '^[a-z][a-z0-9_-]*$': 'must be lower-case letters, digits, dashes and underscores, starting with a letter',
  '^[0-9]+(\\.[0-9]+)?(ms|s|m|h)$': 'must be a duration: a number of seconds, or a number with ms, s, m or h (e.g. 30s, 5m, 1h)',
  '^[0-9]+(\\.[0-9]+)?%$': 'must be a percentage (e.g. 20%)',
  '^[A-Za-z_][A-Za-z0-9_]*$': 'must be letters, digits and underscores, not starting with a digit',
  '^[A-Za-z0-9_.\\-/]+$': 'must be letters, digits and the characters _ . - /',
  '^([^@\\s]+@)?[^@\\s]+$': 'must be [user@]address[:port] with no spaces',
  '^[0-9]+-[0-9]+$': 'must be a port range low-high (e.g. 8000-8100)',
  '^[0-9]+G$': 'must be a size in GiB (e.g. 20G)',
  '^/': 'must be an absolute path (starting with /)',
  '^(?!__)[a-zA-Z_][a-zA-Z0-9_]*$': 'must be a Prometheus label name: letters, digits and underscores, not starting with a digit or __',
  '^[a-z][a-z0-9_]{0,62}$': 'must be lower-case letters, digits and underscores, starting with a letter, at most 63 characters',
}

export function patternText(pattern: string): string {
  return Object.hasOwn(PATTERN_TEXT, pattern) ? PATTERN_TEXT[pattern]! : 'is not in the expected form'
}

/** A value for a message; a value that came from `${env:..}`/`${file:..}` is never shown, only where it came from. */
function describeValue(value: unknown, node?: Node): string {
  const from = interpolatedFrom(node)
  if (from !== undefined) return `the value of ${from}`
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'object') return 'a mapping'
  if (typeof value === 'string') return `string \`${value.length > 40 ? value.slice(0, 40) + '…' : value}\``
  return `${typeof value} \`${String(value)}\``
}

function typeName(t: string): string {
  return ({object: 'a mapping', array: 'a list', integer: 'an integer', number: 'a number', string: 'a string', boolean: 'true or false', null: 'null'} as Record<string, string>)[t] ?? t
}

function isUnder(a: string, b: string): boolean {
  return a === b || a.startsWith(b + '/')
}

/** Drop the errors that only restate another: if/then and oneOf summaries, and type mismatches of branches not taken. */
function reduce(errors: ErrorObject[]): ErrorObject[] {
  // "must match the then schema" only restates the error inside the `then` branch
  let out = errors.filter((e) => e.keyword !== 'if').filter(
    (e) => !(['oneOf', 'anyOf'].includes(e.keyword) && errors.some((o) => o !== e && !['oneOf', 'anyOf'].includes(o.keyword) && isUnder(o.instancePath, e.instancePath))),
  )
  // A oneOf branch whose type matched produced specific errors; the other branches' "must be X" are noise.
  const byPath = new Map<string, ErrorObject[]>()
  for (const e of out) byPath.set(e.instancePath, [...(byPath.get(e.instancePath) ?? []), e])
  out = out.filter((e) => {
    // a `const` branch (`false` to turn something off) not taken is noise too
    if (e.keyword !== 'type' && e.keyword !== 'required' && e.keyword !== 'const') return true
    const others = out.filter((o) => o !== e && isUnder(o.instancePath, e.instancePath) && o.keyword !== 'type' && o.keyword !== 'const' && o.schemaPath.includes('oneOf') && e.schemaPath.includes('oneOf'))
    if (e.keyword === 'required') return !others.some((o) => o.instancePath === e.instancePath && o.keyword !== 'required') || !e.schemaPath.includes('oneOf')
    return others.length === 0
  })
  // Several type errors at one path (oneOf of types): merge into one.
  const seen = new Map<string, ErrorObject>()
  const merged: ErrorObject[] = []
  for (const e of out) {
    if (e.keyword === 'type') {
      const prev = seen.get(e.instancePath)
      if (prev) {
        ;(prev.params as {type: string}).type += `|${typeParam(e)}`
        continue
      }
      seen.set(e.instancePath, {...e, params: {...e.params, type: typeParam(e)}})
      merged.push(seen.get(e.instancePath)!)
    } else merged.push(e)
  }
  // Identical messages from several branches once only.
  const keys = new Set<string>()
  return merged.filter((e) => {
    const k = `${e.instancePath}|${e.keyword}|${JSON.stringify(e.params)}`
    if (keys.has(k)) return false
    keys.add(k)
    return true
  })
}

/** Ajv's `type` param: one name, or a list when the schema allows several types. */
function typeParam(e: ErrorObject): string {
  const t = (e.params as {type: string | string[]}).type
  return Array.isArray(t) ? t.join('|') : String(t)
}

export function schemaProblems(errors: ErrorObject[], source: YamlSource): Problem[] {
  const nodeOf = (p: PathSegment[]) => source.doc.getIn(p, true) as Node | undefined
  return reduce(errors).map((e) => {
    const path = pointerToPath(e.instancePath)
    const describe = (v: unknown) => describeValue(v, nodeOf(path))
    const at = (p: typeof path, key = false) => ({file: source.file, ...locate(source, p, key)})
    switch (e.keyword) {
      case 'additionalProperties': {
        const key = (e.params as {additionalProperty: string}).additionalProperty
        const known = Object.keys((e.parentSchema as {properties?: object})?.properties ?? {})
        const guess = closest(key, known)
        return {
          ...at([...path, key], true),
          path: formatPath([...path, key]),
          message: `unknown key \`${key}\`${guess ? `; did you mean \`${guess}\`?` : ''}`,
          suggestion: guess ? undefined : known.length ? `expected one of: ${known.join(', ')}` : undefined,
        }
      }
      case 'required': {
        const key = (e.params as {missingProperty: string}).missingProperty
        return {...at(path), path: formatPath(path) || '(top level)', message: `missing required key \`${key}\``}
      }
      case 'enum': {
        const allowed = (e.params as {allowedValues: unknown[]}).allowedValues.map(String)
        const guess = typeof e.data === 'string' ? closest(e.data, allowed) : undefined
        return {
          ...at(path),
          path: formatPath(path),
          message: `expected one of ${allowed.join(', ')}; got ${describe(e.data)}${guess ? `; did you mean \`${guess}\`?` : ''}`,
        }
      }
      case 'const':
        return {...at(path), path: formatPath(path), message: `expected ${JSON.stringify((e.params as {allowedValue: unknown}).allowedValue)}; got ${describe(e.data)}`}
      case 'type': {
        const types = typeParam(e).split(/[|,]/)
        return {...at(path), path: formatPath(path), message: `expected ${types.map(typeName).join(' or ')}; got ${describe(e.data)}`}
      }
      case 'pattern':
        return {...at(path), path: formatPath(path), message: `${describe(e.data)} ${patternText((e.params as {pattern: string}).pattern)}`, suggestion: Object.hasOwn(PATTERN_TEXT, (e.params as {pattern: string}).pattern) ? undefined : hintFor(e)}
      case 'propertyNames': {
        const name = (e.params as {propertyName: string}).propertyName
        const pattern = ((e.parentSchema as {propertyNames?: {pattern?: string}})?.propertyNames?.pattern) ?? ''
        return {...at([...path, name], true), path: formatPath([...path, name]), message: `invalid name \`${name}\`: a name here ${patternText(pattern)}`}
      }
      default:
        return {...at(path), path: formatPath(path) || '(top level)', message: `${e.message ?? 'is invalid'}${e.data !== undefined && typeof e.data !== 'object' ? `; got ${describe(e.data)}` : ''}`}
    }
  })
}

function hintFor(e: ErrorObject): string | undefined {
  const desc = (e.parentSchema as {description?: string})?.description
  if (!desc) return undefined
  // the first sentence: a period that ends one, not the one of "e.g." or "i.e."
  const m = /^(.*?[^.](?<!\be\.g|\bi\.e))\.(\s|$)/s.exec(desc)
  return (m ? m[1]! : desc).trim()
}
