/**
 * Load a plan: read, parse with positions, resolve ${env:..}/${file:..}, validate against the schema, cross-check.
 * Throws InvalidInputError carrying every problem found; returns the plan and its warnings otherwise.
 */
import {stat} from 'node:fs/promises'
import path from 'node:path'
import {InvalidInputError, type Problem} from '../errors.js'
import {readRegularFile} from '../util/read-regular.js'
import {crossCheck} from './cross-checks.js'
import {interpolateDocument} from './interpolate.js'
import {schemaProblems} from './schema-errors.js'
import {getValidator} from './schemas.js'
import type {LoadedPlan, Plan} from './types.js'
import {parseYamlSource, sourceData, type YamlSource} from './yaml-source.js'
import {valueChecks} from './value-checks.js'
import {fileChecks} from './file-checks.js'
import {redactProblems} from './redact-problems.js'

/** The largest plan dops reads (a plan of 100,000 keys is about 2 MiB). */
export const MAX_PLAN_BYTES = 16 * 1024 * 1024

export const PLAN_FILE_NAMES = ['dops.yml', 'dops.yaml']

export interface LoadPlanOptions {
  env?: NodeJS.ProcessEnv
  providerTypes?: string[]
  /** also check that files the plan names (bootstrap and event scripts) exist, as `dops validate` does */
  checkFiles?: boolean
}

export async function findPlanFile(cwd: string): Promise<string | undefined> {
  for (const name of PLAN_FILE_NAMES) {
    const file = path.join(cwd, name)
    // stat, not read: a FIFO named dops.yml must not block here (loadPlan then refuses it)
    if (await stat(file).then(() => true, () => false)) return file
  }
  return undefined
}

export async function loadPlan(file: string, opts: LoadPlanOptions = {}): Promise<{loaded: LoadedPlan; warnings: Problem[]}> {
  let text: string
  try {
    text = readRegularFile(file, MAX_PLAN_BYTES)
  } catch (e) {
    throw new InvalidInputError(`cannot read plan file ${file}: ${(e as NodeJS.ErrnoException).code ?? e}`)
  }
  return parsePlan(file, text, opts)
}

export function parsePlan(file: string, text: string, opts: LoadPlanOptions = {}): {loaded: LoadedPlan; warnings: Problem[]} {
  const {source, problems} = parseYamlSource(file, text)
  let refs: Array<{value: string; ref: string}> = []
  const fail = (list: Problem[]) => {
    const errors = list.filter((p) => p.severity !== 'warning')
    if (errors.length) throw new InvalidInputError(`${file}: ${errors.length} problem${errors.length > 1 ? 's' : ''} in the plan`, redactProblems(list, refs))
  }
  fail(problems)
  if (source.doc.contents === null) throw new InvalidInputError(`${file}: the plan is empty`, [{file, line: 1, column: 1, message: 'the plan is empty; it needs at least `version: 1` and `project`'}])
  const dir = path.dirname(path.resolve(file))
  const interp = interpolateDocument(source, dir, opts.env ?? process.env)
  refs = interp.refs
  problems.push(...interp.problems)
  const {data, problem} = sourceData(source)
  if (problem) fail([...problems, problem])
  const validate = getValidator('plan.schema.json')
  if (!validate(data)) problems.push(...schemaProblems(validate.errors ?? [], source))
  // references are checked even when the schema found problems, so every problem is reported at once
  const plan = data as Plan
  problems.push(...crossCheckSafely(plan, source, opts.providerTypes, problems.some((p) => p.severity !== 'warning')))
  problems.push(...valueChecks(plan, source))
  if (opts.checkFiles) problems.push(...fileChecks(plan, source, dir))
  fail(problems)
  return {loaded: {file, dir, plan, source, secrets: interp.secrets, secretRefs: interp.secretRefs}, warnings: redactProblems(problems, refs)}
}

/** Cross-checks guard against values of the wrong type; should one still trip on a plan the schema rejected, the
 * schema's problems already explain it. On a plan the schema accepted, a throw is a bug and propagates. */
function crossCheckSafely(plan: Plan, source: YamlSource, providerTypes: string[] | undefined, schemaFailed: boolean): Problem[] {
  try {
    return crossCheck(plan, source, providerTypes)
  } catch (e) {
    if (schemaFailed) return []
    throw e
  }
}
