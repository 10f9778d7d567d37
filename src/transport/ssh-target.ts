/**
 * Where and how to reach a host, as `ssh` would: ssh_config is looked up by the address ssh is given (not the
 * inventory name); flags, the host's own settings (plan, inventory) and its ssh arguments are command-line options
 * over ssh_config, over plan defaults, over built-in defaults, as OpenSSH ranks command-line options over its config.
 */
import os from 'node:os'
import path from 'node:path'
import type {Host} from '../inventory/host.js'
import type {SshSettings} from '../plan/types.js'
import {parseDuration} from '../util/duration.js'
import {appliedOptions, COMMAND_LINE, parseSshArgs} from './ssh-args.js'
import {SshConfigFile} from './ssh-config.js'
import type {ConfigLine} from './ssh-config-parse.js'

export interface SshTarget {
  /** what ssh is given as the destination (the host's address): the name ssh_config was looked up by */
  alias: string
  address: string
  port: number
  user: string
  identityFiles: string[]
  passphraseEnv?: string
  agent?: string
  proxyJump?: string
  /** `-F FILE` of the host's ssh arguments: the ssh_config its jump hosts are looked up in too (as ssh passes -F on) */
  configFile?: string
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

/** the ssh_config files named by `-F` in ssh arguments, read once per process */
const argConfigs = new Map<string, SshConfigFile>()
export function configAt(file: string, env: NodeJS.ProcessEnv): SshConfigFile {
  let c = argConfigs.get(file)
  if (!c) argConfigs.set(file, (c = SshConfigFile.read(file, true, env)))
  return c
}

/**
 * What `ssh` is given for a host, as Ansible's ssh plugin runs it: `ssh -o User=.. -o Port=.. -o IdentityFile=..
 * [ssh args] ADDRESS`. The address (ansible_host, the plan's `address`, else the name) is what ssh_config is looked
 * up by; the host's own port, user and key and its ssh arguments are command-line options, so they beat ssh_config.
 */
export function commandLineOf(host: Host, d: Pick<TargetDefaults, 'user' | 'identityFile'>): {options: ConfigLine[]; configFile?: string} {
  const opt = (keyword: string, value: string): ConfigLine => ({file: COMMAND_LINE, line: 0, keyword, args: [value], raw: value})
  const options: ConfigLine[] = []
  if (d.user) options.push(opt('user', d.user))
  if (host.port) options.push(opt('port', String(host.port)))
  if (host.identityFile) options.push(opt('identityfile', home(host.identityFile)))
  if (d.identityFile) options.push(opt('identityfile', home(d.identityFile)))
  if (host.user) options.push(opt('user', host.user))
  let configFile: string | undefined
  if (host.sshArgs?.length) {
    const a = parseSshArgs(host.sshArgs)
    options.push(...appliedOptions(a))
    configFile = a.configFile && home(a.configFile)
  }
  return {options, configFile}
}

export function resolveTarget(host: Host, config: SshConfigFile, d: TargetDefaults): SshTarget {
  const s: SshSettings = host.ssh ?? {}
  const env = d.env ?? process.env
  const cl = commandLineOf(host, d)
  const given = (k: string) => cl.options.some((l) => l.keyword === k)
  const c = (cl.configFile ? configAt(cl.configFile, env) : config).lookup(host.address, undefined, cl.options)
  const strict = c.strictHostKeyChecking && (['accept-new', 'no'].includes(c.strictHostKeyChecking) ? 'accept-new' : 'strict')
  const checking = d.hostKeyChecking ?? (given('stricthostkeychecking') ? strict : undefined) ?? s.hostKeyChecking ?? strict ?? 'strict'
  const keys = [...c.identityFiles, s.identityFile].filter((x): x is string => !!x).map(home)
  const knownHosts = d.knownHosts?.length ? d.knownHosts.map(home) : given('userknownhostsfile') && c.userKnownHostsFiles.length ? c.userKnownHostsFiles : s.knownHosts?.length ? s.knownHosts.map(home) : c.userKnownHostsFiles
  return {
    alias: host.address,
    ...(cl.configFile ? {configFile: cl.configFile} : {}),
    address: c.hostName ?? host.address,
    port: c.port ?? s.port ?? 22,
    user: c.user ?? s.user ?? os.userInfo().username,
    identityFiles: [...new Set(keys)],
    passphraseEnv: s.passphraseEnv,
    agent: s.agent === false ? undefined : env.SSH_AUTH_SOCK,
    proxyJump: c.proxyCommand ? undefined : (c.proxyJump ?? s.proxyJump),
    proxyCommand: c.proxyCommand,
    knownHostsFiles: knownHosts.length ? knownHosts : defaultKnownHosts(d.projectDir),
    globalKnownHostsFiles: c.globalKnownHostsFiles ?? DEFAULT_GLOBAL_KNOWN_HOSTS,
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
