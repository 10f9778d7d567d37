/**
 * `group_vars/NAME` and `host_vars/NAME` beside an inventory: a file (no extension, .yml, .yaml or .json) or a
 * directory whose files (those extensions or none, hidden and `~` backups skipped, subdirectories recursed) are all
 * read in name order, as Ansible's find_vars_files does. A file with a YAML error, or that is not a mapping, is a
 * located error, as in Ansible (it is never silently skipped).
 */
import {readdirSync, readFileSync, statSync} from 'node:fs'
import path from 'node:path'
import {isMap} from 'yaml'
import type {Problem} from '../errors.js'
import {locate, parseYamlSource, sourceData} from '../plan/yaml-source.js'
import type {Inventory} from './ansible-model.js'
import {portVarProblem} from './port-var.js'
import {PYYAML_TAGS} from './yaml11.js'

const EXTS = ['', '.yml', '.yaml', '.json']
/** deepest group_vars/NAME/ directory nesting read; deeper is ignored (bounded work on any tree) */
const MAX_DEPTH = 16

const kind = (f: string): 'file' | 'dir' | undefined => {
  try {
    const st = statSync(f)
    return st.isDirectory() ? 'dir' : st.isFile() ? 'file' : undefined
  } catch {
    return undefined
  }
}

/** Every file of a vars directory in Ansible's order (sorted by code point, recursing into extensionless dirs). */
function dirFiles(dir: string, depth: number): string[] {
  if (depth > MAX_DEPTH) return []
  const out: string[] = []
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith('.') || name.endsWith('~')) continue
    const full = path.join(dir, name)
    const ext = path.extname(name)
    const k = kind(full)
    if (k === 'dir' && !ext) out.push(...dirFiles(full, depth + 1))
    else if (k === 'file' && (!ext || EXTS.includes(ext))) out.push(full)
  }
  return out
}

/** The vars files for a group or host: the first of NAME, NAME.yml, NAME.yaml, NAME.json that exists (a directory: all its files). */
function varsFiles(dir: string, name: string): string[] {
  for (const ext of EXTS) {
    const f = path.join(dir, name + ext)
    const k = kind(f)
    if (k === 'dir') return dirFiles(f, 0)
    if (k === 'file') return [f]
  }
  return []
}

function readVars(file: string, problems: Problem[]): Record<string, unknown> | undefined {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (e) {
    problems.push({file, message: `cannot read vars file: ${(e as NodeJS.ErrnoException).code ?? e}`})
    return undefined
  }
  const {source, problems: found} = parseYamlSource(file, text, {version: '1.1', customTags: PYYAML_TAGS})
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

/** Read group_vars/ and host_vars/ files into the inventory's file layers (they override its inline vars, as in Ansible). */
export function loadVarsDirs(inv: Inventory, dir: string): Problem[] {
  const problems: Problem[] = []
  for (const g of inv.groups.values()) for (const f of varsFiles(path.join(dir, 'group_vars'), g.name)) Object.assign(g.fileVars, readVars(f, problems))
  for (const h of inv.hostVars.keys()) {
    const files = varsFiles(path.join(dir, 'host_vars'), h)
    if (files.length) inv.hostFileVars.set(h, Object.assign(inv.hostFileVars.get(h) ?? {}, ...files.map((f) => readVars(f, problems))))
  }
  return problems
}
