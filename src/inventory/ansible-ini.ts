/** Ansible INI inventories: [group], [group:vars], [group:children], host ranges, `host:port`, key=value vars. */
import {InvalidInputError, type Problem} from '../errors.js'
import {addHostPattern, childCycles, ensureGroup, newInventory, TooManyHostsError, type Inventory, type InvVars} from './ansible-model.js'
import {portProblem, portVarProblem} from './port-var.js'

/** Split `a b="c d" e='f'` into tokens, keeping quoted parts together. */
function tokenize(line: string): string[] {
  const tokens: string[] = []
  let cur = ''
  let quote: string | undefined
  for (const ch of line) {
    if (quote) {
      if (ch === quote) quote = undefined
      else cur += ch
    } else if (ch === '"' || ch === "'") quote = ch
    else if (/\s/.test(ch)) {
      if (cur) tokens.push(cur)
      cur = ''
    } else cur += ch
  }
  if (quote) throw new Error('unterminated quote')
  if (cur) tokens.push(cur)
  return tokens
}

/** Host-line values are Python literals in Ansible: numbers and booleans become typed. */
function literal(v: string): unknown {
  if (/^-?\d+$/.test(v)) return Number(v)
  if (/^(true|True)$/.test(v)) return true
  if (/^(false|False)$/.test(v)) return false
  return v
}

function stripComment(line: string): string {
  // `#` or `;` starts a comment at the beginning or after whitespace, outside quotes
  let quote: string | undefined
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!
    if (quote) {
      if (ch === quote) quote = undefined
    } else if (ch === '"' || ch === "'") quote = ch
    else if ((ch === '#' || ch === ';') && (i === 0 || /\s/.test(line[i - 1]!))) return line.slice(0, i)
  }
  return line
}

export function parseAnsibleIni(file: string, text: string): Inventory {
  const inv = newInventory(file)
  const problems: Problem[] = []
  let section = 'ungrouped'
  let kind: 'hosts' | 'vars' | 'children' = 'hosts'
  /** where each `children` edge was written, to locate a loop */
  const edges = new Map<string, {line: number; column: number}>()
  const lines = text.split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!
    const line = stripComment(raw).trim()
    const at = {file, line: i + 1, column: raw.length - raw.trimStart().length + 1}
    if (!line) continue
    const header = /^\[([^\]]+)\]$/.exec(line)
    if (header) {
      const [name, suffix] = header[1]!.split(':') as [string, string | undefined]
      if (suffix && !['vars', 'children'].includes(suffix)) {
        problems.push({...at, message: `unknown section suffix \`:${suffix}\`; expected \`:vars\` or \`:children\``})
        continue
      }
      section = name.trim()
      kind = (suffix as 'vars' | 'children' | undefined) ?? 'hosts'
      ensureGroup(inv, section)
      continue
    }
    try {
      if (kind === 'vars') {
        const eq = line.indexOf('=')
        if (eq < 1) throw new Error(`expected \`key=value\` in [${section}:vars]`)
        const key = line.slice(0, eq).trim()
        const value = unquote(line.slice(eq + 1).trim())
        const bad = portVarProblem(key, value)
        if (bad) throw new Error(bad)
        ensureGroup(inv, section).vars[key] = value
      } else if (kind === 'children') {
        ensureGroup(inv, line)
        ensureGroup(inv, section).children.add(line)
        if (!edges.has(`${section}\0${line}`)) edges.set(`${section}\0${line}`, at)
      } else {
        const [pattern, ...pairs] = tokenize(line)
        const vars: InvVars = {}
        for (const p of pairs) {
          const eq = p.indexOf('=')
          if (eq < 1) throw new Error(`expected \`key=value\` after the host name, got \`${p}\``)
          vars[p.slice(0, eq)] = literal(p.slice(eq + 1))
          const bad = portVarProblem(p.slice(0, eq), vars[p.slice(0, eq)])
          if (bad) throw new Error(bad)
        }
        // `host:port` shorthand (not for IPv6 literals, which have several colons)
        let name = pattern!
        const hp = /^([^:[\]]+|\[[^\]]*\][^:]*|[^:]*\[[^\]]+\][^:]*):(\d+)$/.exec(name)
        if (hp && (name.match(/:/g) ?? []).length === 1 + (name.match(/\[[^\]]*:[^\]]*\]/g) ?? []).length) {
          name = hp[1]!
          const bad = portProblem(hp[2]!)
          if (bad) throw new Error(`host \`${pattern}\`: ${bad}`)
          vars.ansible_port ??= Number(hp[2])
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
  for (const cycle of childCycles(inv)) {
    const where = edges.get(`${cycle[cycle.length - 1]}\0${cycle[0]}`) ?? {line: 1, column: 1}
    problems.push({file, ...where, message: `group children form a loop: ${[...cycle, cycle[0]].join(' -> ')}`})
  }
  if (problems.length) throw new InvalidInputError(`${file}: ${problems.length} problem(s) in the inventory`, problems)
  return inv
}

function unquote(v: string): string {
  const m = /^(["'])(.*)\1$/.exec(v)
  return m ? m[2]! : v
}
