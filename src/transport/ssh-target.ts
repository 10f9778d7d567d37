/**
 * Where and how to reach a host: explicit host settings (plan, inventory) over ssh_config over plan defaults over
 * built-in defaults, as OpenSSH ranks command-line options over its config file.
 */
import os from 'node:os'
import path from 'node:path'
import type {Host} from '../inventory/host.js'
import type {SshSettings} from '../plan/types.js'
import {parseDuration} from '../util/duration.js'
import type {SshConfigFile} from './ssh-config.js'

export interface SshTarget {
  alias: string
  address: string
  port: number
  user: string
  identityFiles: string[]
  passphraseEnv?: string
  agent?: string
  proxyJump?: string
  /** ProxyCommand from ssh_config, tokens expanded; excludes proxyJump as in OpenSSH */
  proxyCommand?: string
  knownHostsFiles: string[]
  /** read-only system-wide files (GlobalKnownHostsFile): a key pinned there is known; accept-new never writes there */
  globalKnownHostsFiles: string[]
  hostKeyChecking: 'strict' | 'accept-new'
  connectTimeoutMs: number
  keepaliveMs: number
}

export interface TargetDefaults {
  /** project directory: `.dops/known_hosts` lives there */
  projectDir: string
  /** overrides from the command line */
  knownHosts?: string[]
  hostKeyChecking?: 'strict' | 'accept-new'
  user?: string
  identityFile?: string
  env?: NodeJS.ProcessEnv
}

const home = (p: string) => p.replace(/^~(?=\/|$)/, os.homedir())

export function defaultKnownHosts(projectDir: string): string[] {
  return [path.join(projectDir, '.dops', 'known_hosts'), path.join(os.homedir(), '.ssh', 'known_hosts')]
}

/** OpenSSH's GlobalKnownHostsFile default (ssh_config(5); `ssh -F /dev/null -G host` shows it). */
export const DEFAULT_GLOBAL_KNOWN_HOSTS = ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2']

export function resolveTarget(host: Host, config: SshConfigFile, d: TargetDefaults): SshTarget {
  const s: SshSettings = host.ssh ?? {}
  const c = config.lookup(host.name === host.address ? host.address : host.name)
  // an inventory or plan address that is itself an alias in ssh_config gets that alias's HostName
  const viaAddress = host.address !== host.name && !c.hostName ? config.lookup(host.address) : undefined
  const env = d.env ?? process.env
  const checking = d.hostKeyChecking ?? s.hostKeyChecking ?? (c.strictHostKeyChecking && ['accept-new', 'no'].includes(c.strictHostKeyChecking) ? 'accept-new' : 'strict')
  const keys = [host.identityFile, d.identityFile, ...c.identityFiles, ...(viaAddress?.identityFiles ?? []), s.identityFile].filter((x): x is string => !!x).map(home)
  return {
    alias: host.name,
    address: (host.address !== host.name ? host.address : undefined) ?? c.hostName ?? host.address,
    port: host.port ?? c.port ?? viaAddress?.port ?? s.port ?? 22,
    user: d.user ?? host.user ?? c.user ?? viaAddress?.user ?? s.user ?? os.userInfo().username,
    identityFiles: [...new Set(keys)],
    passphraseEnv: s.passphraseEnv,
    agent: s.agent === false ? undefined : env.SSH_AUTH_SOCK,
    proxyJump: c.proxyCommand ? undefined : (c.proxyJump ?? viaAddress?.proxyJump ?? s.proxyJump),
    proxyCommand: c.proxyJump ? undefined : c.proxyCommand,
    knownHostsFiles: d.knownHosts?.length ? d.knownHosts.map(home) : s.knownHosts?.length ? s.knownHosts.map(home) : c.userKnownHostsFiles.length ? c.userKnownHostsFiles : defaultKnownHosts(d.projectDir),
    globalKnownHostsFiles: c.globalKnownHostsFiles ?? viaAddress?.globalKnownHostsFiles ?? DEFAULT_GLOBAL_KNOWN_HOSTS,
    hostKeyChecking: checking,
    connectTimeoutMs: parseDuration(s.connectTimeout) ?? (c.connectTimeout ? c.connectTimeout * 1000 : 10_000),
    keepaliveMs: parseDuration(s.keepaliveInterval) ?? 15_000,
  }
}

/** `user@host:port,host2` → hops, each looked up in ssh_config like a host of its own. */
export function parseProxyJump(spec: string): Array<{alias: string; user?: string; port?: number}> {
  return spec.split(',').map((hop) => {
    const m = /^(?:([^@]+)@)?(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(hop.trim())
    if (!m) throw new Error(`invalid ProxyJump hop \`${hop}\``)
    return {user: m[1], alias: m[2]!.replace(/^\[|\]$/g, ''), port: m[3] ? Number(m[3]) : undefined}
  })
}
