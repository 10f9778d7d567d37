/**
 * Load a plan: read, parse with positions, resolve ${env:..}/${file:..}, validate against the schema, cross-check.
 * Throws InvalidInputError carrying every problem found; returns the plan and its warnings otherwise.
 */
import {readFile} from 'node:fs/promises'
import path from 'node:path'
import {InvalidInputError, type Problem} from '../errors.js'
import {crossCheck} from './cross-checks.js'
import {interpolateDocument} from './interpolate.js'
import {schemaProblems} from './schema-errors.js'
import {getValidator} from './schemas.js'
import type {LoadedPlan, Plan} from './types.js'
import {parseYamlSource} from './yaml-source.js'

export const PLAN_FILE_NAMES = ['dops.yml', 'dops.yaml']

export interface LoadPlanOptions {
  env?: NodeJS.ProcessEnv
  providerTypes?: string[]
}

export async function findPlanFile(cwd: string): Promise<string | undefined> {
  for (const name of PLAN_FILE_NAMES) {
    const file = path.join(cwd, name)
    if (await readFile(file).then(() => true, () => false)) return file
  }
  return undefined
}

export async function loadPlan(file: string, opts: LoadPlanOptions = {}): Promise<{loaded: LoadedPlan; warnings: Problem[]}> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (e) {
    throw new InvalidInputError(`cannot read plan file ${file}: ${(e as NodeJS.ErrnoException).code ?? e}`)
  }
  return parsePlan(file, text, opts)
}

export function parsePlan(file: string, text: string, opts: LoadPlanOptions = {}): {loaded: LoadedPlan; warnings: Problem[]} {
  const {source, problems} = parseYamlSource(file, text)
  const fail = (list: Problem[]) => {
    const errors = list.filter((p) => p.severity !== 'warning')
    if (errors.length) throw new InvalidInputError(`${file}: ${errors.length} problem${errors.length > 1 ? 's' : ''} in the plan`, list)
  }
  fail(problems)
  if (source.doc.contents === null) throw new InvalidInputError(`${file}: the plan is empty`, [{file, line: 1, column: 1, message: 'the plan is empty; it needs at least `version: 1` and `project`'}])
  const dir = path.dirname(path.resolve(file))
  const interp = interpolateDocument(source, dir, opts.env ?? process.env)
  problems.push(...interp.problems)
  const data = source.doc.toJS() as unknown
  const validate = getValidator('plan.schema.json')
  if (!validate(data)) problems.push(...schemaProblems(validate.errors ?? [], source))
  fail(problems)
  const plan = data as Plan
  problems.push(...crossCheck(plan, source, opts.providerTypes))
  fail(problems)
  return {loaded: {file, dir, plan, source, secrets: interp.secrets}, warnings: problems}
}
