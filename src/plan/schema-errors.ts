/**
 * Ajv errors as problems a person can act on: the field path, its line and column, what was expected, and a
 * suggestion for a misspelt key or value. oneOf noise is reduced to the branch that matches the value's type.
 */
import type {ErrorObject} from 'ajv'
import type {Problem} from '../errors.js'
import {closest} from './suggest.js'
import {formatPath, locate, pointerToPath, type YamlSource} from './yaml-source.js'

function describe(value: unknown): string {
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
    if (e.keyword !== 'type' && e.keyword !== 'required') return true
    const others = out.filter((o) => o !== e && isUnder(o.instancePath, e.instancePath) && o.keyword !== 'type' && o.schemaPath.includes('oneOf') && e.schemaPath.includes('oneOf'))
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
        ;(prev.params as {type: string}).type += `|${(e.params as {type: string}).type}`
        continue
      }
      seen.set(e.instancePath, {...e, params: {...e.params}})
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

export function schemaProblems(errors: ErrorObject[], source: YamlSource): Problem[] {
  return reduce(errors).map((e) => {
    const path = pointerToPath(e.instancePath)
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
        const types = (e.params as {type: string}).type.split(/[|,]/)
        return {...at(path), path: formatPath(path), message: `expected ${types.map(typeName).join(' or ')}; got ${describe(e.data)}`}
      }
      case 'pattern':
        return {...at(path), path: formatPath(path), message: `${describe(e.data)} does not have the expected form ${(e.params as {pattern: string}).pattern}`, suggestion: hintFor(e)}
      case 'propertyNames': {
        const name = (e.params as {propertyName: string}).propertyName
        return {...at([...path, name], true), path: formatPath([...path, name]), message: `invalid name \`${name}\`: use lower-case letters, digits and dashes, starting with a letter`}
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
