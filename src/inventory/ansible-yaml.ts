/** Ansible YAML inventories: `all: {hosts, vars, children}` with nested groups and host ranges. */
import {isMap} from 'yaml'
import {InvalidInputError, type Problem} from '../errors.js'
import {formatPath, locate, parseYamlSource, sourceData, type PathSegment} from '../plan/yaml-source.js'
import {addHostPattern, childCycles, ensureGroup, newInventory, TooManyHostsError, type Inventory, type InvVars} from './ansible-model.js'
import {splitHostPort} from './host-pattern.js'
import {portProblem, portVarProblem} from './port-var.js'
import {PYYAML_TAGS} from './yaml11.js'

const GROUP_KEYS = ['hosts', 'vars', 'children']

/** Parse a YAML inventory as YAML 1.1 (PyYAML's `yes`, `0755`...), into `inv` when several sources make one. */
export function parseAnsibleYaml(file: string, text: string, inv: Inventory = newInventory(file)): Inventory {
  const {source, problems} = parseYamlSource(file, text, {version: '1.1', customTags: PYYAML_TAGS})
  const errors = problems.filter((p) => p.severity !== 'warning')
  if (errors.length) throw new InvalidInputError(`${file}: invalid YAML`, errors)
  const out: Problem[] = []
  const bad = (path: PathSegment[], message: string, onKey = false) => out.push({file, ...locate(source, path, onKey), path: formatPath(path), message})
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
  const ports = (path: PathSegment[], vars: Record<string, unknown>) => {
    for (const [k, v] of Object.entries(vars)) {
      const problem = portVarProblem(k, v)
      if (problem) bad([...path, k], problem)
    }
  }
  /** where each `children` edge was written, to locate a loop */
  const edges = new Map<string, PathSegment[]>()
  let full = false

  const walkGroup = (name: string, body: unknown, path: PathSegment[]) => {
    const g = ensureGroup(inv, name)
    if (body === null || body === undefined) return
    if (!isObj(body)) return bad(path, `group \`${name}\` must be a mapping with hosts, vars or children`)
    for (const key of Object.keys(body)) if (!GROUP_KEYS.includes(key)) bad([...path, key], `unknown key \`${key}\` in group \`${name}\`; expected hosts, vars or children`, true)
    const {hosts, vars, children} = body
    if (hosts !== null && hosts !== undefined) {
      if (!isObj(hosts)) bad([...path, 'hosts'], 'expected a mapping of host names (to their vars or nothing)')
      else
        for (const [pattern, hv] of Object.entries(hosts)) {
          if (hv !== null && !isObj(hv)) {
            bad([...path, 'hosts', pattern], `vars of host \`${pattern}\` must be a mapping`)
            continue
          }
          if (full) break
          if (hv) ports([...path, 'hosts', pattern], hv as InvVars)
          try {
            const split = splitHostPort(pattern)
            const hostVars: InvVars = {...((hv as InvVars) ?? {})}
            if (split.port !== undefined) {
              const problem = portProblem(split.port)
              if (problem) throw new Error(`host \`${pattern}\`: ${problem}`)
              if (!('ansible_port' in hostVars)) hostVars.ansible_port = Number(split.port)
            }
            addHostPattern(inv, name, split.pattern, hostVars)
          } catch (e) {
            bad([...path, 'hosts', pattern], (e as Error).message, true)
            if (e instanceof TooManyHostsError) full = true
          }
        }
    }
    if (vars !== null && vars !== undefined) {
      if (!isObj(vars)) bad([...path, 'vars'], 'expected a mapping of variables')
      else {
        ports([...path, 'vars'], vars)
        Object.assign(g.vars, vars)
      }
    }
    if (children !== null && children !== undefined) {
      if (!isObj(children)) bad([...path, 'children'], 'expected a mapping of child groups')
      else
        for (const [child, cb] of Object.entries(children)) {
          g.children.add(child)
          if (!edges.has(`${name}\0${child}`)) edges.set(`${name}\0${child}`, [...path, 'children', child])
          walkGroup(child, cb, [...path, 'children', child])
        }
    }
  }
  const {data, problem} = sourceData(source)
  if (problem) throw new InvalidInputError(`${file}: invalid YAML`, [problem])
  if (!isMap(source.doc.contents) || !isObj(data)) throw new InvalidInputError(`${file}: an inventory must be a mapping of groups`, [{file, line: 1, column: 1, message: 'expected a mapping of groups (e.g. `all:`)'}])
  for (const [group, body] of Object.entries(data)) walkGroup(group, body, [group])
  // top-level groups other than all are children of all
  const isChild = new Set<string>()
  for (const p of inv.groups.values()) for (const c of p.children) isChild.add(c)
  for (const g of inv.groups.keys()) if (g !== 'all' && !isChild.has(g)) inv.groups.get('all')!.children.add(g)
  for (const cycle of childCycles(inv)) {
    const where = edges.get(`${cycle[cycle.length - 1]}\0${cycle[0]}`) ?? []
    bad(where, `group children form a loop: ${[...cycle, cycle[0]].join(' -> ')}`, true)
  }
  if (out.length) throw new InvalidInputError(`${file}: ${out.length} problem(s) in the inventory`, out)
  return inv
}
