/**
 * A host's connection from its merged Ansible variables, as Ansible's ssh plugin reads them: the last variable set
 * among each option's names wins (the legacy ansible_ssh_* names beat ansible_host/port/user), a null is unset,
 * simple `{{ name }}` templates are resolved from the host's variables, ssh arguments are split with shlex and
 * checked, and `ansible_connection` says ssh or local. Anything dops cannot honour is refused, naming the host.
 */
import {existsSync, readFileSync} from 'node:fs'
import path from 'node:path'
import {InvalidInputError, type Problem} from '../errors.js'
import {parseSshArgs, shlexSplit} from '../transport/ssh-args.js'
import {portProblem} from './port-var.js'

export interface AnsibleConnection {
  address: string
  port?: number
  user?: string
  identityFile?: string
  sshArgs?: string[]
  connection?: 'ssh' | 'local'
}

/** the most levels of `{{ a }}` → `{{ b }}` → … followed */
const MAX_DEPTH = 10
const TEMPLATE = /\{\{([\s\S]*?)\}\}|\{%|\{#/g
const SIMPLE = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*$/

class TemplateError extends Error {}

/** Resolve `{{ name }}` references in a value from `vars`; anything else inside `{{ }}` (filters, expressions) is refused. */
export function resolveTemplate(value: string, vars: Record<string, unknown>, depth = 0): string {
  if (!value.includes('{')) return value
  return value.replace(TEMPLATE, (m, inner: string | undefined) => {
    if (inner === undefined) throw new TemplateError(`\`${m}\`: only {{ variable }} references are supported here`)
    const name = SIMPLE.exec(inner)?.[1]
    if (!name) throw new TemplateError(`\`${m}\` is not a plain variable reference (filters and expressions are not supported in connection variables)`)
    const v = vars[name]
    if (v === undefined || v === null) throw new TemplateError(`\`${m}\`: the variable ${name} is not defined for this host`)
    if (typeof v === 'object') throw new TemplateError(`\`${m}\`: the variable ${name} is not a single value`)
    if (depth >= MAX_DEPTH) throw new TemplateError(`\`${m}\`: more than ${MAX_DEPTH} nested templates (a loop?)`)
    return resolveTemplate(String(v), vars, depth + 1)
  })
}

/** file:line:col of the first place `text` is written in the inventory file (a directory: not located). */
function locateText(file: string, text: string): Pick<Problem, 'file' | 'line' | 'column'> {
  try {
    const src = readFileSync(file, 'utf8')
    const at = src.indexOf(text)
    if (at < 0) return {file}
    const before = src.slice(0, at).split('\n')
    return {file, line: before.length, column: before[before.length - 1]!.length + 1}
  } catch {
    return {file}
  }
}

export function connectionOf(invFile: string, name: string, vars: Record<string, unknown>): AnsibleConnection {
  const all: Record<string, unknown> = {inventory_hostname: name, inventory_hostname_short: name.split('.')[0], ...vars}
  const fail = (variable: string, raw: string, message: string): never => {
    throw new InvalidInputError(`inventory ${invFile}: host ${name} cannot be reached as written`, [{...locateText(invFile, raw), path: `${name}.${variable}`, message: `${variable}=${raw}: ${message}`}])
  }
  /** the last set (non-null) of `keys`, templates resolved */
  const get = (...keys: string[]): {key: string; value: string} | undefined => {
    const key = keys.filter((k) => vars[k] !== undefined && vars[k] !== null).pop()
    if (!key) return undefined
    const raw = String(vars[key])
    try {
      return {key, value: resolveTemplate(raw, all)}
    } catch (e) {
      if (e instanceof TemplateError) return fail(key, raw, e.message)
      throw e
    }
  }
  const host = get('ansible_host', 'ansible_ssh_host')
  const port = get('ansible_port', 'ansible_ssh_port')
  const user = get('ansible_user', 'ansible_ssh_user')
  const key = get('ansible_private_key_file', 'ansible_ssh_private_key_file')
  const conn = get('ansible_connection')
  if (port && portProblem(port.value.trim())) fail(port.key, String(vars[port.key]), portProblem(port.value.trim())!)
  let connection: AnsibleConnection['connection']
  if (conn) {
    if (conn.value === 'local') connection = 'local'
    else if (!['ssh', 'smart', 'paramiko', 'paramiko_ssh', 'ansible.builtin.ssh', 'ansible.builtin.paramiko_ssh', 'ansible.builtin.local'].includes(conn.value)) fail(conn.key, String(vars[conn.key]), `dops reaches hosts over SSH (ssh, smart, paramiko) or runs them on this machine (local); the connection \`${conn.value}\` is not supported`)
    else if (conn.value === 'ansible.builtin.local') connection = 'local'
  }
  const sshArgs: string[] = []
  for (const k of ['ansible_ssh_common_args', 'ansible_ssh_extra_args']) {
    const a = get(k)
    if (!a || !a.value.trim()) continue
    try {
      const argv = shlexSplit(a.value)
      const parsed = parseSshArgs(argv)
      if (parsed.configFile && !existsSync(parsed.configFile.replace(/^~(?=\/)/, process.env.HOME ?? '~'))) throw new Error(`-F ${parsed.configFile}: no such file`)
      sshArgs.push(...argv)
    } catch (e) {
      fail(k, String(vars[k]), (e as Error).message)
    }
  }
  if (sshArgs.length) {
    try {
      parseSshArgs(sshArgs) // common and extra together (-J after a ProxyCommand of the other)
    } catch (e) {
      fail('ansible_ssh_common_args', `${vars.ansible_ssh_common_args ?? ''} ${vars.ansible_ssh_extra_args ?? ''}`.trim(), (e as Error).message)
    }
  }
  return {
    address: host?.value ?? name,
    port: port ? Number(port.value.trim()) : undefined,
    user: user?.value,
    identityFile: key ? path.resolve(path.dirname(invFile), key.value.replace(/^~(?=\/)/, process.env.HOME ?? '~')) : undefined,
    ...(sshArgs.length ? {sshArgs} : {}),
    ...(connection ? {connection} : {}),
  }
}
