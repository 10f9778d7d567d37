/** The one Ajv instance, with every schema of schemas/ compiled once on first use. */
import {readFileSync} from 'node:fs'
import {Ajv, type ValidateFunction} from 'ajv'

const cache = new Map<string, ValidateFunction>()
let ajv: Ajv | undefined

export function schemaPath(name: string): string {
  // src/plan and dist/plan are both two levels below the package root
  return new URL(`../../schemas/${name}`, import.meta.url).pathname
}

export function loadSchema(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(schemaPath(name), 'utf8')) as Record<string, unknown>
}

export function getValidator(name: string): ValidateFunction {
  let v = cache.get(name)
  if (!v) {
    ajv ??= new Ajv({allErrors: true, verbose: true, strict: false})
    v = ajv.compile(loadSchema(name))
    cache.set(name, v)
  }
  return v
}
