/**
 * The validators of `dops serve`'s route schemas: dops's own Ajv options (all errors, verbose, not strict), as the
 * plan validation uses them. Bodies are validated as sent (no coercion, no defaults, no removal of unknown fields);
 * query strings and path parameters are text, so there types are coerced (`?limit=10` is the number 10).
 */
import {createRequire} from 'node:module'
import type {Ajv, ErrorObject, Options, ValidateFunction} from 'ajv'
import {AJV_OPTIONS} from '../plan/schemas.js'

const require = createRequire(import.meta.url)
const {Ajv: AjvClass} = require('ajv') as {Ajv: new (o: Options) => Ajv}

let bodies: Ajv | undefined
let texts: Ajv | undefined
/** validators not compiled yet: `compilePending()` compiles them (after listening, and in tests) */
const pending = new Set<() => void>()

/**
 * fastify's validator compiler: one Ajv per kind of input, each schema compiled when its route is first called (the
 * server answers sooner after start-up). A POST without a body (up, down) is validated as the empty object.
 */
export function compileRouteSchema({schema, httpPart}: {schema: object; httpPart?: string}): ValidateFunction {
  let v: ValidateFunction | undefined
  const compile = () => {
    if (httpPart === 'body') return (bodies ??= new AjvClass({...AJV_OPTIONS})).compile(schema)
    return (texts ??= new AjvClass({...AJV_OPTIONS, coerceTypes: 'array'})).compile(schema)
  }
  const now = () => {
    pending.delete(now)
    v ??= compile()
    return v
  }
  pending.add(now)
  const lazy = ((data: unknown) => {
    v ??= now()
    // query strings and params are objects whose properties Ajv coerces in place
    const ok = v(httpPart === 'body' ? (data ?? {}) : data)
    lazy.errors = v.errors
    return ok
  }) as ValidateFunction
  return lazy
}

/** Compile every validator not compiled yet; a schema Ajv refuses is an error naming it (a bug of a route). */
export function compilePending(): Error[] {
  const errors: Error[] = []
  for (const c of [...pending]) {
    try {
      c()
    } catch (e) {
      pending.delete(c)
      errors.push(e as Error)
    }
  }
  return errors
}

/** Ajv's errors in words: `body.groups.web: must be integer`. */
export function describeValidation(errors: ErrorObject[] | null | undefined, part: string): string {
  if (!errors?.length) return `${part} is not valid`
  const seen = new Set<string>()
  for (const e of errors.slice(0, 10)) {
    const where = `${part}${e.instancePath.replace(/\//g, '.')}`
    let what = e.message ?? 'is not valid'
    if (e.keyword === 'additionalProperties') what = `unknown field \`${(e.params as {additionalProperty: string}).additionalProperty}\``
    else if (e.keyword === 'enum') what = `must be one of ${(e.params as {allowedValues: unknown[]}).allowedValues.map((x) => JSON.stringify(x)).join(', ')}`
    seen.add(`${where}: ${what}`)
  }
  return [...seen].join('; ')
}
