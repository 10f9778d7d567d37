/**
 * `dops init`: write the scaffold of a shape into a directory. Every file is checked first: an existing one stops
 * everything (nothing is written) unless `force`. Returns what was written.
 */
import {existsSync} from 'node:fs'
import {chmod, mkdir, writeFile} from 'node:fs/promises'
import path from 'node:path'
import {InvalidInputError} from '../errors.js'
import {projectName, scaffold, SHAPES, type Shape} from './templates.js'

/** this installation's plan schema (dist/init/ and src/init/ are both two levels below the package) */
const SCHEMA = path.resolve(import.meta.dirname, '../../schemas/plan.schema.json')

export interface InitResult {
  dir: string
  shape: Shape
  project: string
  files: string[]
  overwritten: string[]
}

export async function initJob(p: {dir: string; shape: string; project?: string; force?: boolean}): Promise<InitResult> {
  if (!(SHAPES as readonly string[]).includes(p.shape)) throw new InvalidInputError(`unknown shape \`${p.shape}\` (expected one of ${SHAPES.join(', ')})`)
  const shape = p.shape as Shape
  const dir = path.resolve(p.dir)
  const project = p.project ?? projectName(path.basename(dir))
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(project)) throw new InvalidInputError(`invalid project name \`${project}\` (expected lower-case letters, digits and dashes, at most 63)`)
  const files = scaffold(shape, project, SCHEMA)
  const existing = files.map((f) => f.path).filter((f) => existsSync(path.join(dir, f)))
  if (existing.length && !p.force) throw new InvalidInputError(`${existing.length} file(s) already exist in ${dir}: ${existing.join(', ')}; nothing was written (--force overwrites them)`)
  for (const f of files) {
    const to = path.join(dir, f.path)
    await mkdir(path.dirname(to), {recursive: true})
    await writeFile(to, f.content)
    await chmod(to, f.mode)
  }
  return {dir, shape, project, files: files.map((f) => f.path), overwritten: existing}
}
