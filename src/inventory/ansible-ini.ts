/** Ansible INI inventories: [group], [group:vars], [group:children], host ranges, `host:port`, key=value vars. */
import {InvalidInputError, type Problem} from '../errors.js'
import {addHostPattern, childCycles, ensureGroup, newInventory, TooManyHostsError, type Inventory, type InvVars} from './ansible-model.js'
import {splitHostPort} from './host-pattern.js'
import {portProblem, portVarProblem} from './port-var.js'
import {pyLiteral} from './py-literal.js'

/**
 * Split a host line as Ansible does (shlex.split, posix): quoted parts kept together, quotes dropped, a backslash
 * escapes the next character outside quotes and `"` or `\\` inside double quotes; nothing is special in single quotes.
 */
function tokenize(line: string): string[] {
  const tokens: string[] = []
  let cur = ''
  let inWord = false
  let quote: string | undefined
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!
    if (quote === "'") {
      if (ch === quote) quote = undefined
      else cur += ch
    } else if (quote === '"') {
      if (ch === '\\' && (line[i + 1] === '"' || line[i + 1] === '\\')) cur += line[++i]
      else if (ch === quote) quote = undefined
      else cur += ch
    } else if (ch === '\\' && i + 1 < line.length) {
      cur += line[++i]
      inWord = true
    } else if (ch === '"' || ch === "'") {
      quote = ch
      inWord = true
    } else if (/\s/.test(ch)) {
      if (inWord) tokens.push(cur)
      cur = ''
      inWord = false
    } else {
      cur += ch
      inWord = true
    }
  }
  if (quote) throw new Error('unterminated quote')
  if (inWord) tokens.push(cur)
  return tokens
}

/** Host lines are split as shlex does with comments on: `#` outside quotes starts a comment, even inside a word. */
function stripComment(line: string): string {
  let quote: string | undefined
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!
    if (quote) {
      if (ch === '\\' && quote === '"') i++
      else if (ch === quote) quote = undefined
    } else if (ch === '\\') i++
    else if (ch === '"' || ch === "'") quote = ch
    else if (ch === '#') return line.slice(0, i)
  }
  return line
}

/** Parse an INI inventory (into `inv` when several sources make one inventory, as `-i DIR` does). */
export function parseAnsibleIni(file: string, text: string, inv: Inventory = newInventory(file)): Inventory {
  const problems: Problem[] = []
  /** groups named in `:children` or `:vars` before they are defined (Ansible's pending declarations) */
  const pending = new Map<string, {at: {file: string; line: number; column: number}; state: 'vars' | 'children'; parents: string[]}>()
  const addPending = (group: string) => {
    const p = pending.get(group)
    if (!p || p.state !== 'children') return pending.delete(group)
    pending.delete(group)
    for (const parent of p.parents) {
      ensureGroup(inv, parent).children.add(group)
      if (pending.get(parent)?.state === 'children') addPending(parent)
    }
  }
  let section = 'ungrouped'
  let kind: 'hosts' | 'vars' | 'children' = 'hosts'
  /** where each `children` edge was written, to locate a loop */
  const edges = new Map<string, {line: number; column: number}>()
  const lines = text.split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!
    const trimmed = raw.trim()
    // a line starting with # or ; is a comment; `:vars` values keep the rest (Python reads a `# comment` in them)
    if (!trimmed || trimmed.startsWith('#') || trimmed.startsWith(';')) continue
    const line = kind === 'vars' && !trimmed.startsWith('[') ? trimmed : stripComment(raw).trim()
    const at = {file, line: i + 1, column: raw.length - raw.trimStart().length + 1}
    if (!line) continue
    const header = /^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:#.*)?$/.exec(trimmed)
    if (header) {
      const [, name, suffix] = header as unknown as [string, string, string | undefined]
      if (suffix && !['vars', 'children', 'hosts'].includes(suffix)) {
        problems.push({...at, message: `unknown section suffix \`:${suffix}\`; expected \`:vars\` or \`:children\``})
        continue
      }
      section = name
      kind = (suffix as 'vars' | 'children' | 'hosts' | undefined) ?? 'hosts'
      if (!inv.groups.has(section) && kind === 'vars' && !pending.has(section)) pending.set(section, {at, state: 'vars', parents: []})
      ensureGroup(inv, section)
      if (kind !== 'vars') addPending(section)
      continue
    }
    if (line.startsWith('[') && line.endsWith(']')) {
      problems.push({...at, message: `invalid section header \`${line}\`: a group name has no spaces, colons or brackets`})
      continue
    }
    try {
      if (kind === 'vars') {
        const eq = line.indexOf('=')
        if (eq < 1) throw new Error(`expected \`key=value\` in [${section}:vars]`)
        const key = line.slice(0, eq).trim()
        const value = pyLiteral(line.slice(eq + 1).trim())
        const bad = portVarProblem(key, value)
        if (bad) throw new Error(bad)
        ensureGroup(inv, section).vars[key] = value
      } else if (kind === 'children') {
        const m = /^([^:\]\s]+)\s*(?:#.*)?$/.exec(line)
        if (!m) throw new Error(`expected a group name in [${section}:children], got \`${line}\``)
        const child = m[1]!
        if (!inv.groups.has(child)) {
          const p = pending.get(child)
          if (!p) pending.set(child, {at, state: 'children', parents: [section]})
          else p.parents.push(section)
        } else ensureGroup(inv, section).children.add(child)
        if (!edges.has(`${section}\0${child}`)) edges.set(`${section}\0${child}`, at)
      } else {
        const [pattern, ...pairs] = tokenize(line)
        const vars: InvVars = {}
        for (const p of pairs) {
          const eq = p.indexOf('=')
          if (eq < 1) throw new Error(`expected \`key=value\` after the host name, got \`${p}\``)
          vars[p.slice(0, eq)] = pyLiteral(p.slice(eq + 1))
          const bad = portVarProblem(p.slice(0, eq), vars[p.slice(0, eq)])
          if (bad) throw new Error(bad)
        }
        // `host:port` shorthand, `[v6]:port`, as Ansible's parse_address splits it
        const split = splitHostPort(pattern!)
        let name = split.pattern
        if (split.port !== undefined) {
          const bad = portProblem(split.port)
          if (bad) throw new Error(`host \`${pattern}\`: ${bad}`)
          if (!('ansible_port' in vars)) vars.ansible_port = Number(split.port)
        } else if (/^[^:[\]]+:[^:]*$/.test(name)) {
          throw new Error(`host \`${name}\`: ${portProblem(name.slice(name.indexOf(':') + 1))}`)
        }
        addHostPattern(inv, section, name, vars)
      }
    } catch (e) {
      problems.push({...at, message: (e as Error).message})
      if (e instanceof TooManyHostsError) break
    }
  }
  for (const [group, p] of pending)
    problems.push({...p.at, message: p.state === 'vars' ? `[${group}:vars] names a group that is never defined` : `[${p.parents[p.parents.length - 1]}:children] includes undefined group \`${group}\``})
  for (const cycle of childCycles(inv)) {
    const where = edges.get(`${cycle[cycle.length - 1]}\0${cycle[0]}`) ?? {line: 1, column: 1}
    problems.push({file, ...where, message: `group children form a loop: ${[...cycle, cycle[0]].join(' -> ')}`})
  }
  if (problems.length) throw new InvalidInputError(`${file}: ${problems.length} problem(s) in the inventory`, problems)
  return inv
}
