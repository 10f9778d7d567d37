/**
 * Build step: compile every schema of schemas/ to standalone validation code in dist/validators/ (run by
 * `npm run build` after tsc). Same Ajv options as the runtime fallback, so both report identical errors.
 */
import {mkdirSync, readdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {createRequire} from 'node:module'
import type {Ajv, Options} from 'ajv'
import {AJV_OPTIONS, loadSchema, precompiledPath, schemaPath} from './schemas.js'

const require = createRequire(import.meta.url)
const {Ajv: AjvClass} = require('ajv') as {Ajv: new (o: Options) => Ajv}
const standalone = (require('ajv/dist/standalone') as {default: (ajv: Ajv, v: unknown) => string}).default

const dir = path.dirname(schemaPath('x'))
for (const name of readdirSync(dir).filter((f) => f.endsWith('.schema.json'))) {
  const ajv = new AjvClass({...AJV_OPTIONS, code: {source: true}})
  const code = standalone(ajv, ajv.compile(loadSchema(name)))
  const out = precompiledPath(name)
  mkdirSync(path.dirname(out), {recursive: true})
  writeFileSync(out, code)
}
