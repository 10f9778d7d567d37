/**
 * Read an Ansible inventory (a file, INI or YAML told apart as Ansible's plugins do, or a directory of them), plus
 * `group_vars/` and `host_vars/` beside it, and turn its hosts into dops hosts (ansible_host, ansible_port,
 * ansible_user, ansible_ssh_private_key_file, with Ansible's precedence between them and their legacy names).
 */
import {existsSync, readdirSync, statSync} from 'node:fs'
import {readRegularFile} from '../util/read-regular.js'
import path from 'node:path'
import {InvalidInputError} from '../errors.js'
import {ensureGroup, groupsOf, hostsOf, newInventory, varsOf, type Inventory} from './ansible-model.js'
import {parseAnsibleIni} from './ansible-ini.js'
import {connectionOf} from './ansible-connection.js'
import type {Host} from './host.js'

/** The largest inventory file dops reads (100,000 hosts with a few vars each fit well within). */
export const MAX_INVENTORY_BYTES = 64 * 1024 * 1024

/**
 * Whether Ansible's yaml plugin (tried before ini) takes the file: by extension (.yml, .yaml, .json), or, for a file
 * with none (`hosts`), by content: a YAML document start or a first line that is a mapping key.
 */
export function looksLikeYaml(file: string, text: string): boolean {
  if (/\.(ya?ml|json)$/i.test(file)) return true
  if (path.extname(file)) return false
  const first = text.split(/\r?\n/).find((l) => l.trim() && !/^\s*[#;]/.test(l))
  if (first === undefined) return false
  if (/^(---|%YAML)(\s|$)/.test(first)) return true
  return /^[^\s[=]+:\s*($|#)/.test(first) && !first.includes('=')
}

/** Ansible skips these in an inventory directory (hidden, vars dirs, INVENTORY_IGNORE_EXTS). */
const IGNORED = /^\.|^host_vars$|^group_vars$|^vars_plugins$|(\.pyc|\.pyo|\.swp|\.bak|~|\.rpm|\.md|\.txt|\.rst|\.orig|\.cfg|\.retry)$/
/** the most files one inventory directory tree may hold (bounded work on any tree) */
const MAX_SOURCES = 1000

/** The inventory files of a directory, as Ansible visits them: sorted by code point, subdirectories recursed. */
function sourceFiles(dir: string, out: string[] = [], depth = 0): string[] {
  if (depth > 16) return out
  for (const name of readdirSync(dir).sort()) {
    if (IGNORED.test(name)) continue
    const full = path.join(dir, name)
    if (out.length >= MAX_SOURCES) throw new InvalidInputError(`inventory directory ${dir} holds more than ${MAX_SOURCES} files`)
    if (statSync(full).isDirectory()) sourceFiles(full, out, depth + 1)
    else out.push(full)
  }
  return out
}

async function parseFile(file: string, inv: Inventory): Promise<void> {
  let text: string
  try {
    text = readRegularFile(file, MAX_INVENTORY_BYTES)
  } catch (e) {
    throw new InvalidInputError(`cannot read inventory ${file}: ${(e as NodeJS.ErrnoException).code ?? e}`)
  }
  if (looksLikeYaml(file, text)) (await import('./ansible-yaml.js')).parseAnsibleYaml(file, text, inv)
  else parseAnsibleIni(file, text, inv)
}

/** Read an inventory file or directory. The YAML parser is loaded only for YAML inventories and vars files (it costs ~70 ms). */
export async function readAnsibleInventory(file: string): Promise<Inventory> {
  let isDir = false
  try {
    isDir = statSync(file).isDirectory()
  } catch {
    // a missing file is reported by the read below
  }
  const inv = newInventory(file)
  if (isDir) for (const f of sourceFiles(file)) await parseFile(f, inv)
  else await parseFile(file, inv)
  const dir = isDir ? file : path.dirname(file)
  if (existsSync(path.join(dir, 'group_vars')) || existsSync(path.join(dir, 'host_vars'))) {
    const problems = (await import('./vars-files.js')).loadVarsDirs(inv, dir)
    if (problems.length) throw new InvalidInputError(`${file}: ${problems.length} problem(s) in its group_vars/host_vars files`, problems)
  }
  return inv
}

const CONNECTION_VARS = new Set(['ansible_ssh_common_args', 'ansible_ssh_extra_args', 'ansible_host', 'ansible_ssh_host', 'ansible_port', 'ansible_ssh_port', 'ansible_user', 'ansible_ssh_user', 'ansible_ssh_private_key_file', 'ansible_private_key_file'])

/** Hosts of `group` (default all) as dops hosts. `dopsGroup` names the dops group they join (default: their first inventory group). */
export function inventoryHosts(inv: Inventory, group = 'all', dopsGroup?: string): Host[] {
  if (group !== 'all' && !inv.groups.has(group)) {
    const known = [...inv.groups.keys()].filter((g) => g !== 'ungrouped' || hostsOf(inv, g).length)
    throw new InvalidInputError(`inventory ${inv.file} has no group \`${group}\` (groups: ${known.join(', ')})`)
  }
  ensureGroup(inv, group)
  return hostsOf(inv, group).map((name) => {
    const vars = varsOf(inv, name)
    const groups = groupsOf(inv, name).filter((g) => g !== 'ungrouped' || groupsOf(inv, name).length === 1)
    // Ansible's ssh plugin: templates resolved, the last variable set wins, ssh args split with shlex (ansible-connection.ts)
    const c = connectionOf(inv.file, name, vars)
    return {
      name,
      address: c.address,
      port: c.port,
      user: c.user,
      identityFile: c.identityFile,
      group: dopsGroup ?? groups[0] ?? 'ungrouped',
      // read with -i, `all` too, as in Ansible: `-g all` selects every host of the inventory (in a plan, the dops
      // group stands for the inventory)
      groups: dopsGroup ? [...new Set([dopsGroup, ...groups])] : [...groups, 'all'],
      labels: {},
      vars: Object.fromEntries(Object.entries(vars).filter(([k]) => !CONNECTION_VARS.has(k))),
      ...(c.sshArgs ? {sshArgs: c.sshArgs} : {}),
      ...(c.connection ? {connection: c.connection} : {}),
    }
  })
}
