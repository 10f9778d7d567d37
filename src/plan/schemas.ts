/**
 * Validators for the JSON Schemas in schemas/. The build precompiles each schema to standalone code
 * (dist/validators/*.cjs, see compile-schemas.ts), which loads in ~15 ms instead of a ~130 ms Ajv compile on every
 * command; from sources (tests, bin/dev.js) the one Ajv instance compiles them on first use.
 */
import {existsSync, readFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import type {Ajv, Options, ValidateFunction} from 'ajv'

const require = createRequire(import.meta.url)
const cache = new Map<string, ValidateFunction>()
let ajv: Ajv | undefined

export const AJV_OPTIONS: Options = {allErrors: true, verbose: true, strict: false}

export function schemaPath(name: string): string {
  // src/plan and dist/plan are both two levels below the package root
  return new URL(`../../schemas/${name}`, import.meta.url).pathname
}

export function precompiledPath(name: string): string {
  return new URL(`../validators/${name.replace(/\.json$/, '')}.cjs`, import.meta.url).pathname
}

export function loadSchema(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(schemaPath(name), 'utf8')) as Record<string, unknown>
}

export function getValidator(name: string): ValidateFunction {
  let v = cache.get(name)
  if (!v) {
    const pre = precompiledPath(name)
    if (existsSync(pre)) v = (require(pre) as {default: ValidateFunction}).default
    else {
      ajv ??= new (require('ajv') as {Ajv: new (o: Options) => Ajv}).Ajv(AJV_OPTIONS)
      v = ajv.compile(loadSchema(name))
    }
    cache.set(name, v)
  }
  return v
}
