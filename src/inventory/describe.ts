/**
 * What `dops hosts --json` and `dops hosts --show HOST` print: each host's resolved connection (the equivalent of
 * `ssh -G`) and its merged variables with the plan's secrets redacted (the equivalent of `ansible-inventory --host`).
 * Every connection field comes from `resolveTarget`, the code every connecting command uses; nothing here connects.
 */
import path from 'node:path'
import {InvalidInputError} from '../errors.js'
import {redactDeep} from '../deploy/redact-report.js'
import {closest} from '../plan/suggest.js'
import type {ResolvedTargets} from '../targets.js'
import {readSshConfig, type TransportSettings} from '../transport/factory.js'
import {SshConfigFile} from '../transport/ssh-config.js'
import {parseProxyJump, resolveTarget, type SshTarget, type TargetDefaults} from '../transport/ssh-target.js'
import {makeRedactor} from '../util/redact.js'
import type {Host} from './host.js'

export type ConnectionOverrides = Pick<TransportSettings, 'sshConfig' | 'identityFile' | 'user' | 'knownHosts' | 'hostKeyChecking'>

/** Where a connection field's value came from: a command-line flag, the host's own entry (plan host or inventory line), ssh_config, the plan's `ssh` settings, or dops's default. */
export type FieldSource = 'flag' | 'host' | 'ssh_config' | 'plan' | 'default'

/** One hop of a ProxyJump chain, resolved like a host of its own (as the transport dials it). */
export interface JumpHop {
  /** the hop as written in ProxyJump */
  spec: string
  address: string
  port: number
  user: string
  identityFiles: string[]
  /** the first hop's own ProxyJump or ProxyCommand (later hops are reached through the previous one) */
  proxyJump?: JumpHop[]
  proxyCommand?: string
}

export interface ConnectionDescription {
  type: 'ssh' | 'local'
  address: string
  port: number
  user: string
  identityFiles: string[]
  /** the ProxyJump value as configured; `jumps` are its hops resolved */
  proxyJump?: string
  jumps?: JumpHop[]
  proxyCommand?: string
  knownHostsFiles: string[]
  globalKnownHostsFiles: string[]
  hostKeyChecking: SshTarget['hostKeyChecking']
  connectTimeoutMs: number
  keepaliveMs: number
  /** ssh-agent socket offered (SSH_AUTH_SOCK), unless the plan says `agent: false` */
  agent?: string
  /** name of the environment variable holding the key's passphrase (never its value) */
  passphraseEnv?: string
  sources: {address: FieldSource; port: FieldSource; user: FieldSource}
}

export interface HostDescription {
  name: string
  /** the address as listed (inventory or plan); `connection.address` is where dops connects */
  address: string
  port?: number
  user?: string
  identityFile?: string
  group: string
  groups: string[]
  env?: string
  labels: Record<string, string>
  connection: ConnectionDescription
  /** merged variables (plan < environment < group < inventory < host), secrets replaced by `***` */
  vars: Record<string, unknown>
}

export interface HostsDescription {
  /** the ssh_config file honoured (null: none) */
  sshConfig: string | null
  env?: string
  hosts: HostDescription[]
}

/** ProxyJump chains longer than this are cut (a loop through ssh_config aliases would never end). */
const MAX_HOPS = 16

export function describeHosts(t: ResolvedTargets, hosts: Host[], o: ConnectionOverrides & {env?: NodeJS.ProcessEnv} = {}): HostsDescription {
  const config = readSshConfig({...o, projectDir: t.projectDir, planSsh: t.loaded?.plan.ssh})
  const d: TargetDefaults = {...o, projectDir: t.projectDir}
  const out = {sshConfig: config.file ? path.resolve(config.file) : null, ...(t.envName ? {env: t.envName} : {}), hosts: hosts.map((h) => describeHost(h, config, d))}
  // every string, addresses and commands included: a value from ${env:..} is a secret wherever it is used
  return t.secrets.length ? redactDeep(out, makeRedactor(t.secrets)) : out
}

function describeHost(h: Host, config: SshConfigFile, d: TargetDefaults): HostDescription {
  const {ssh: _ssh, vars, ...listed} = h
  return {...listed, connection: describeConnection(h, config, d), vars: {...vars}}
}

function describeConnection(h: Host, config: SshConfigFile, d: TargetDefaults): ConnectionDescription {
  const t = resolveTarget(h, config, d)
  const budget = {hops: MAX_HOPS}
  return {
    type: h.connection === 'local' ? 'local' : 'ssh',
    address: t.address,
    port: t.port,
    user: t.user,
    identityFiles: t.identityFiles,
    ...(t.proxyJump ? {proxyJump: t.proxyJump, jumps: jumps(t.proxyJump, config, d, budget)} : {}),
    ...(t.proxyCommand ? {proxyCommand: t.proxyCommand} : {}),
    knownHostsFiles: t.knownHostsFiles,
    globalKnownHostsFiles: t.globalKnownHostsFiles,
    hostKeyChecking: t.hostKeyChecking,
    connectTimeoutMs: t.connectTimeoutMs,
    keepaliveMs: t.keepaliveMs,
    ...(t.agent ? {agent: t.agent} : {}),
    ...(t.passphraseEnv ? {passphraseEnv: t.passphraseEnv} : {}),
    sources: sources(h, t, config, d),
  }
}

/**
 * The hops of a ProxyJump as the SSH transport dials them (src/transport/ssh.ts): each hop is looked up in ssh_config
 * as a host of its own, without the `-u` and `--identity` overrides (ssh passes neither -l nor -i to the jump); the first one is reached as configured (its own jump included),
 * each later one through the previous hop.
 */
function jumps(spec: string, config: SshConfigFile, d: TargetDefaults, budget: {hops: number}): JumpHop[] {
  let hops: ReturnType<typeof parseProxyJump>
  try {
    hops = parseProxyJump(spec)
  } catch (e) {
    throw new InvalidInputError((e as Error).message)
  }
  return hops.map((hop, i) => {
    if (--budget.hops < 0) throw new InvalidInputError(`ProxyJump \`${spec}\`: more than ${MAX_HOPS} jump hosts (a loop through ssh_config aliases?)`)
    const ht = resolveTarget({name: hop.alias, address: hop.alias, port: hop.port, user: hop.user, group: '', groups: [], labels: {}, vars: {}}, config, {...d, user: undefined, identityFile: undefined})
    const first = i === 0
    return {
      spec: hops.length === 1 ? spec.trim() : spec.split(',')[i]!.trim(),
      address: ht.address,
      port: ht.port,
      user: ht.user,
      identityFiles: ht.identityFiles,
      ...(first && ht.proxyJump ? {proxyJump: jumps(ht.proxyJump, config, d, budget)} : {}),
      ...(first && ht.proxyCommand ? {proxyCommand: ht.proxyCommand} : {}),
    }
  })
}

/**
 * Where address, port and user came from, found by asking `resolveTarget` again without ssh_config (a value that
 * changes came from it) rather than by restating its precedence here.
 */
function sources(h: Host, t: SshTarget, config: SshConfigFile, d: TargetDefaults): ConnectionDescription['sources'] {
  const bare = resolveTarget(h, SshConfigFile.empty(), d)
  const s = h.ssh ?? {}
  const pick = (field: 'address' | 'port' | 'user', fromHost: unknown, fromPlan: unknown): FieldSource => {
    if (field === 'user' && d.user !== undefined) return 'flag'
    if (config.file && bare[field] !== t[field]) return 'ssh_config'
    if (fromHost !== undefined && fromHost === t[field]) return 'host'
    if (fromPlan !== undefined && fromPlan === t[field]) return 'plan'
    return 'default'
  }
  return {address: pick('address', h.address, undefined), port: pick('port', h.port, s.port), user: pick('user', h.user, s.user)}
}

/**
 * The host a user names (`--show HOST`): by name, else by address. An unknown one is invalid input with the closest
 * name; an address shared by several hosts must be named by host.
 */
export function findHost(hosts: Host[], wanted: string, where = ''): Host {
  const byName = hosts.find((h) => h.name === wanted)
  if (byName) return byName
  const byAddress = [...new Map(hosts.filter((h) => h.address === wanted).map((h) => [h.name, h])).values()]
  if (byAddress.length === 1) return byAddress[0]!
  if (byAddress.length > 1) throw new InvalidInputError(`\`${wanted}\` is the address of several hosts (${byAddress.map((h) => h.name).join(', ')}); name one of them`)
  const names = [...new Set(hosts.map((h) => h.name))]
  const guess = closest(wanted, names)
  throw new InvalidInputError(`no host \`${wanted}\`${where}${guess ? `; did you mean \`${guess}\`?` : ''} (hosts: ${names.slice(0, 20).join(', ') || 'none'}${names.length > 20 ? ', …' : ''})`)
}
