/** Ansible INI inventories: [group], [group:vars], [group:children], host ranges, `host:port`, key=value vars. */
import {InvalidInputError, type Problem} from '../errors.js'
import {addHost, ensureGroup, newInventory, type Inventory, type InvVars} from './ansible-model.js'
import {expandHostRange} from './host-range.js'

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
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = stripComment(raw).trim()
    const at = {file, line: i + 1, column: raw.length - raw.trimStart().length + 1}
    if (!line) return
    const header = /^\[([^\]]+)\]$/.exec(line)
    if (header) {
      const [name, suffix] = header[1]!.split(':') as [string, string | undefined]
      if (suffix && !['vars', 'children'].includes(suffix)) {
        problems.push({...at, message: `unknown section suffix \`:${suffix}\`; expected \`:vars\` or \`:children\``})
        return
      }
      section = name.trim()
      kind = (suffix as 'vars' | 'children' | undefined) ?? 'hosts'
      ensureGroup(inv, section)
      return
    }
    try {
      if (kind === 'vars') {
        const eq = line.indexOf('=')
        if (eq < 1) throw new Error(`expected \`key=value\` in [${section}:vars]`)
        ensureGroup(inv, section).vars[line.slice(0, eq).trim()] = unquote(line.slice(eq + 1).trim())
      } else if (kind === 'children') {
        ensureGroup(inv, line)
        ensureGroup(inv, section).children.add(line)
      } else {
        const [pattern, ...pairs] = tokenize(line)
        const vars: InvVars = {}
        for (const p of pairs) {
          const eq = p.indexOf('=')
          if (eq < 1) throw new Error(`expected \`key=value\` after the host name, got \`${p}\``)
          vars[p.slice(0, eq)] = literal(p.slice(eq + 1))
        }
        // `host:port` shorthand (not for IPv6 literals, which have several colons)
        let name = pattern!
        const hp = /^([^:[\]]+|\[[^\]]*\][^:]*|[^:]*\[[^\]]+\][^:]*):(\d+)$/.exec(name)
        if (hp && (name.match(/:/g) ?? []).length === 1 + (name.match(/\[[^\]]*:[^\]]*\]/g) ?? []).length) {
          name = hp[1]!
          vars.ansible_port ??= Number(hp[2])
        }
        for (const h of expandHostRange(name)) addHost(inv, section, h, {...vars})
      }
    } catch (e) {
      problems.push({...at, message: (e as Error).message})
    }
  })
  if (problems.length) throw new InvalidInputError(`${file}: ${problems.length} problem(s) in the inventory`, problems)
  return inv
}

function unquote(v: string): string {
  const m = /^(["'])(.*)\1$/.exec(v)
  return m ? m[2]! : v
}
