/**
 * `group_vars/NAME` and `host_vars/NAME` files (no extension, .yml, .yaml or .json) beside an inventory. A file with
 * a YAML error, or that is not a mapping, is a located error, as in Ansible (it is never silently skipped).
 */
import {readFileSync, statSync} from 'node:fs'
import path from 'node:path'
import {isMap} from 'yaml'
import type {Problem} from '../errors.js'
import {locate, parseYamlSource, sourceData} from '../plan/yaml-source.js'
import type {Inventory} from './ansible-model.js'
import {portVarProblem} from './port-var.js'

/** The vars file for a group or host, if any. A directory of vars files is not supported and is skipped. */
function varsFile(dir: string, name: string): string | undefined {
  for (const ext of ['', '.yml', '.yaml', '.json']) {
    const f = path.join(dir, name + ext)
    try {
      if (statSync(f).isFile()) return f
    } catch {
      // absent
    }
  }
  return undefined
}

function readVars(file: string, problems: Problem[]): Record<string, unknown> | undefined {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (e) {
    problems.push({file, message: `cannot read vars file: ${(e as NodeJS.ErrnoException).code ?? e}`})
    return undefined
  }
  const {source, problems: found} = parseYamlSource(file, text)
  const errors = found.filter((p) => p.severity !== 'warning')
  if (errors.length) return void problems.push(...errors)
  if (source.doc.contents === null) return undefined
  const {data, problem} = sourceData(source)
  if (problem) return void problems.push(problem)
  if (!isMap(source.doc.contents) || typeof data !== 'object' || data === null) return void problems.push({file, line: 1, column: 1, message: 'a vars file must be a mapping of variable names to values'})
  const vars = data as Record<string, unknown>
  for (const [k, v] of Object.entries(vars)) {
    const bad = portVarProblem(k, v)
    if (bad) problems.push({file, ...locate(source, [k]), path: k, message: bad})
  }
  return vars
}

/** Merge group_vars/ and host_vars/ files into the inventory (they override the vars written in it, as in Ansible). */
export function loadVarsDirs(inv: Inventory, dir: string): Problem[] {
  const problems: Problem[] = []
  for (const g of inv.groups.values()) {
    const f = varsFile(path.join(dir, 'group_vars'), g.name)
    const v = f && readVars(f, problems)
    if (v) g.vars = {...g.vars, ...v}
  }
  for (const [h, hv] of inv.hostVars) {
    const f = varsFile(path.join(dir, 'host_vars'), h)
    const v = f && readVars(f, problems)
    if (v) inv.hostVars.set(h, {...hv, ...v})
  }
  return problems
}
