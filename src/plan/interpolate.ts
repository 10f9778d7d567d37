/**
 * `${env:NAME}`, `${env:NAME:-default}` and `${file:PATH}` in plan strings, resolved on the YAML document so a
 * missing variable is reported at its line. Resolved values are returned as secrets, to be redacted from output.
 */
import {readRegularFile} from '../util/read-regular.js'
import path from 'node:path'
import {visit, type Document, type Node} from 'yaml'
import type {Problem} from '../errors.js'
import type {YamlSource} from './yaml-source.js'

const REF = /\$\{(env|file):([^}]*)\}/g

/** The largest file `${file:..}` reads (secrets and keys are small; /dev/zero is not a secret). */
export const MAX_FILE_REF_BYTES = 1024 * 1024

const originals = new WeakMap<object, string>()

/** The text as written (`${env:DB_PASSWORD}`) of a scalar whose value was interpolated; undefined otherwise. */
export function interpolatedFrom(node: Node | undefined): string | undefined {
  return node ? originals.get(node) : undefined
}

export interface InterpolationResult {
  problems: Problem[]
  secrets: string[]
  /** each secret with the reference it came from (`${env:NAME}`), to name it in messages instead of showing it */
  refs: Array<{value: string; ref: string}>
  /** where each secret value came from (`env:NAME`, `file:/absolute/path`), so a retry can resolve it again */
  secretRefs: Map<string, string>
}

export function interpolateDocument(source: YamlSource, baseDir: string, env: NodeJS.ProcessEnv): InterpolationResult {
  const problems: Problem[] = []
  const secrets: string[] = []
  const refs: InterpolationResult['refs'] = []
  const secretRefs = new Map<string, string>()
  const doc: Document = source.doc
  visit(doc, {
    Scalar(key, node) {
      if (key === 'key' || typeof node.value !== 'string' || !node.value.includes('${')) return
      const at = () => {
        const pos = node.range ? source.lineCounter.linePos(node.range[0]) : undefined
        return {file: source.file, line: pos?.line, column: pos?.col}
      }
      originals.set(node, node.value)
      node.value = node.value.replace(REF, (_m, kind: string, ref: string) => {
        if (kind === 'env') {
          const [name, fallback] = splitDefault(ref)
          if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
            problems.push({...at(), message: `invalid environment variable name \`${name}\` in \${env:...}`})
            return ''
          }
          const value = env[name] ?? fallback
          if (value === undefined) {
            problems.push({...at(), message: `environment variable ${name} is not set`, suggestion: `export ${name}=... or write \${env:${name}:-default}`})
            return ''
          }
          if (env[name] !== undefined && value.length > 0) {
            secrets.push(value)
            refs.push({value, ref: `\${env:${name}}`})
            if (!secretRefs.has(value)) secretRefs.set(value, `env:${name}`)
          }
          return value
        }
        const file = path.resolve(baseDir, ref.startsWith('~/') ? path.join(env.HOME ?? '', ref.slice(2)) : ref)
        try {
          const value = readRegularFile(file, MAX_FILE_REF_BYTES).replace(/\r?\n$/, '')
          if (value.length > 0) {
            secrets.push(value)
            refs.push({value, ref: `\${file:${ref}}`})
            if (!secretRefs.has(value)) secretRefs.set(value, `file:${file}`)
          }
          return value
        } catch (e) {
          problems.push({...at(), message: `cannot read ${file} for \${file:${ref}}: ${(e as NodeJS.ErrnoException).code ?? e}`})
          return ''
        }
      })
    },
  })
  return {problems, secrets, refs, secretRefs}
}

function splitDefault(ref: string): [string, string | undefined] {
  const i = ref.indexOf(':-')
  return i < 0 ? [ref, undefined] : [ref.slice(0, i), ref.slice(i + 2)]
}
