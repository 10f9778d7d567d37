/**
 * Read an Ansible inventory (INI or YAML, told apart by content), plus `group_vars/` and `host_vars/` files beside
 * it, and turn its hosts into dops hosts (ansible_host, ansible_port, ansible_user, ansible_ssh_private_key_file).
 */
import {existsSync} from 'node:fs'
import {readRegularFile} from '../util/read-regular.js'
import path from 'node:path'
import {InvalidInputError} from '../errors.js'
import {ensureGroup, groupsOf, hostsOf, varsOf, type Inventory} from './ansible-model.js'
import {parseAnsibleIni} from './ansible-ini.js'
import type {Host} from './host.js'

/** The largest inventory file dops reads (100,000 hosts with a few vars each fit well within). */
export const MAX_INVENTORY_BYTES = 64 * 1024 * 1024

export function looksLikeYaml(file: string, text: string): boolean {
  if (/\.ya?ml$/i.test(file)) return true
  if (/\.(ini|cfg|hosts)$/i.test(file)) return false
  const first = text.split(/\r?\n/).find((l) => l.trim() && !/^\s*[#;]/.test(l))
  return first !== undefined && /^[^\s[=]+:\s*($|#)/.test(first) && !first.includes('=')
}

/** Read an inventory. The YAML parser is loaded only for YAML inventories and vars files (it costs ~70 ms). */
export async function readAnsibleInventory(file: string): Promise<Inventory> {
  let text: string
  try {
    text = readRegularFile(file, MAX_INVENTORY_BYTES)
  } catch (e) {
    throw new InvalidInputError(`cannot read inventory ${file}: ${(e as NodeJS.ErrnoException).code ?? e}`)
  }
  const inv = looksLikeYaml(file, text) ? (await import('./ansible-yaml.js')).parseAnsibleYaml(file, text) : parseAnsibleIni(file, text)
  const dir = path.dirname(file)
  if (existsSync(path.join(dir, 'group_vars')) || existsSync(path.join(dir, 'host_vars'))) {
    const problems = (await import('./vars-files.js')).loadVarsDirs(inv, dir)
    if (problems.length) throw new InvalidInputError(`${file}: ${problems.length} problem(s) in its group_vars/host_vars files`, problems)
  }
  return inv
}

/** `-J jump` or `-o ProxyJump=jump` in ansible_ssh_common_args / ansible_ssh_extra_args. */
export function proxyJumpFromArgs(args: string | undefined): string | undefined {
  if (!args) return undefined
  const m = /(?:^|\s)-J\s*(\S+)|ProxyJump[= ]\s*(\S+)/.exec(args)
  return (m?.[1] ?? m?.[2])?.replace(/^["']|["']$/g, '')
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
    const str = (k: string) => (vars[k] === undefined ? undefined : String(vars[k]))
    const port = str('ansible_port') ?? str('ansible_ssh_port')
    const key = str('ansible_ssh_private_key_file') ?? str('ansible_private_key_file')
    const jump = proxyJumpFromArgs(`${str('ansible_ssh_common_args') ?? ''} ${str('ansible_ssh_extra_args') ?? ''}`)
    return {
      name,
      address: str('ansible_host') ?? str('ansible_ssh_host') ?? name,
      port: port ? Number(port) : undefined,
      user: str('ansible_user') ?? str('ansible_ssh_user'),
      identityFile: key ? path.resolve(path.dirname(inv.file), key.replace(/^~(?=\/)/, process.env.HOME ?? '~')) : undefined,
      group: dopsGroup ?? groups[0] ?? 'ungrouped',
      groups: dopsGroup ? [dopsGroup, ...groups.filter((g) => g !== dopsGroup)] : groups,
      labels: {},
      vars: Object.fromEntries(Object.entries(vars).filter(([k]) => !CONNECTION_VARS.has(k))),
      ...(jump ? {ssh: {proxyJump: jump}} : {}),
    }
  })
}
