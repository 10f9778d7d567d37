/**
 * Resolve a plan's environment into hosts: static groups from their `hosts` and `inventory`, with labels, vars and
 * SSH settings merged (plan < environment < group < host). Provider-created groups come from provider state (later
 * issues); here they resolve to no hosts.
 */
import path from 'node:path'
import {InvalidInputError} from '../errors.js'
import type {GroupSpec, HostEntry, LoadedPlan, SshSettings, Vars} from '../plan/types.js'
import {formatPath, locate} from '../plan/yaml-source.js'
import {inventoryHosts, readAnsibleInventory} from './ansible.js'
import type {Host} from './host.js'

export function pickEnvironment(loaded: LoadedPlan, name?: string): string {
  const envs = Object.keys(loaded.plan.environments ?? {})
  if (name) {
    if (!envs.includes(name)) throw new InvalidInputError(`environment \`${name}\` is not defined in ${loaded.file} (environments: ${envs.join(', ') || 'none'})`)
    return name
  }
  if (envs.length === 1) return envs[0]!
  if (envs.length === 0) throw new InvalidInputError(`${loaded.file} defines no environments`)
  throw new InvalidInputError(`${loaded.file} defines several environments (${envs.join(', ')}); choose one with --env`)
}

const stringify = (v: Vars | undefined): Record<string, string> => Object.fromEntries(Object.entries(v ?? {}).map(([k, x]) => [k, String(x)]))

export function mergeSsh(...layers: Array<SshSettings | undefined>): SshSettings {
  const out: SshSettings = {}
  for (const l of layers) if (l) Object.assign(out, Object.fromEntries(Object.entries(l).filter(([, v]) => v !== undefined)))
  return out
}

function parseHostString(s: string): {user?: string; address: string; port?: number} {
  const at = s.lastIndexOf('@')
  const user = at >= 0 ? s.slice(0, at) : undefined
  let rest = at >= 0 ? s.slice(at + 1) : s
  let port: number | undefined
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest)
  if (bracket) return {user, address: bracket[1]!, port: bracket[2] ? Number(bracket[2]) : undefined}
  const m = /^([^:]+):(\d+)$/.exec(rest)
  if (m) {
    rest = m[1]!
    port = Number(m[2])
  }
  return {user, address: rest, port}
}

export async function resolveGroup(loaded: LoadedPlan, envName: string, groupName: string, group: GroupSpec): Promise<Host[]> {
  const env = loaded.plan.environments?.[envName]
  const merged = mergeSsh(loaded.plan.ssh, env?.ssh, group.ssh)
  const vars = {...loaded.plan.vars, ...env?.vars, ...group.vars}
  const labels = {group: groupName, env: envName, ...stringify(group.labels)}
  const rel = (p: string | undefined) => (p === undefined ? undefined : p.startsWith('~') ? p : path.resolve(loaded.dir, p))
  // plan-level SSH settings are defaults: an explicit host field or ssh_config wins over them (see ssh-target.ts)
  const ssh: SshSettings = {
    ...merged,
    identityFile: rel(merged.identityFile),
    knownHosts: merged.knownHosts?.map((f) => rel(f)!),
    config: typeof merged.config === 'string' ? rel(merged.config) : merged.config,
  }
  const hosts: Host[] = []
  ;(group.hosts ?? []).forEach((entry: HostEntry) => {
    const h = typeof entry === 'string' ? parseHostString(entry) : entry
    const obj = typeof entry === 'string' ? undefined : entry
    hosts.push({
      name: obj?.name ?? h.address,
      address: h.address,
      port: h.port,
      user: h.user,
      identityFile: rel(obj?.identityFile),
      group: groupName,
      groups: [groupName],
      env: envName,
      labels: {...labels, ...stringify(obj?.labels)},
      vars: {...vars, ...obj?.vars},
      ssh,
    })
  })
  if (group.inventory) {
    const ref = typeof group.inventory === 'string' ? {path: group.inventory} : group.inventory
    const file = path.resolve(loaded.dir, ref.path)
    const fieldPath = ['environments', envName, 'groups', groupName, 'inventory']
    let imported: Host[]
    try {
      imported = inventoryHosts(await readAnsibleInventory(file), ref.group ?? 'all', groupName)
    } catch (e) {
      if (e instanceof InvalidInputError) {
        const where = {file: loaded.file, ...locate(loaded.source, fieldPath), path: formatPath(fieldPath)}
        throw new InvalidInputError(e.message, e.problems.length ? e.problems : [{...where, message: e.message}])
      }
      throw e
    }
    for (const h of imported)
      hosts.push({
        ...h,
        env: envName,
        labels: {...labels, ...h.labels},
        vars: {...vars, ...h.vars},
        ssh: {...ssh, ...h.ssh},
      })
  }
  return hosts
}

/** Every host of an environment. A host listed in several groups appears once per group (its name is the same). */
export async function resolveEnvironment(loaded: LoadedPlan, envName: string): Promise<Host[]> {
  const env = loaded.plan.environments?.[envName]
  return (await Promise.all(Object.entries(env?.groups ?? {}).map(([g, spec]) => resolveGroup(loaded, envName, g, spec)))).flat()
}

/** Hosts that providers created for the environment (from its state), as hosts of their groups. */
export function stateHosts(loaded: LoadedPlan, envName: string, state: import('../state/local-file.js').EnvState): Host[] {
  const env = loaded.plan.environments?.[envName]
  const out: Host[] = []
  for (const [groupName, g] of Object.entries(state.groups)) {
    const spec = env?.groups?.[groupName]
    if (!spec) continue
    const ssh = mergeSsh(loaded.plan.ssh, env?.ssh, spec.ssh)
    for (const i of g.instances)
      out.push({
        name: i.name,
        address: i.address,
        port: i.port,
        user: i.user || undefined,
        identityFile: i.identityFile,
        group: groupName,
        groups: [groupName],
        env: envName,
        labels: {group: groupName, env: envName, provider: g.provider, ...stringify(spec.labels)},
        vars: {...loaded.plan.vars, ...env?.vars, ...spec.vars},
        ssh: i.knownHosts ? {...ssh, knownHosts: [i.knownHosts, ...(ssh?.knownHosts ?? [])]} : ssh,
      })
  }
  return out
}
