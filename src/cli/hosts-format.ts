/** `dops hosts` on a terminal: the host table, and one host's resolved connection and variables (`--show HOST`). */
import type {ChalkInstance} from 'chalk'
import type {ConnectionDescription, HostDescription, JumpHop} from '../inventory/describe.js'
import {formatTable} from './table.js'

/** The listing: names, groups and addresses as listed (the resolved connection is in --json and --show). */
export function formatHostsTable(hosts: Array<Pick<HostDescription, 'name' | 'group' | 'user' | 'address' | 'port' | 'labels'>>, stream: NodeJS.WriteStream = process.stdout): string {
  const rows = hosts.map((h) => [
    h.name,
    h.group,
    `${h.user ? h.user + '@' : ''}${h.address}${h.port ? ':' + h.port : ''}`,
    Object.entries(h.labels)
      .filter(([k]) => k !== 'group' && k !== 'env')
      .map(([k, v]) => `${k}=${v}`)
      .join(','),
  ])
  return formatTable(['NAME', 'GROUP', 'ADDRESS', 'LABELS'], rows, stream)
}

const seconds = (ms: number) => `${ms / 1000}s`

/** `user@address:port` */
const endpoint = (x: {user: string; address: string; port: number}) => `${x.user}@${x.address.includes(':') ? `[${x.address}]` : x.address}:${x.port}`

function hopLines(hops: JumpHop[], depth: number): string[] {
  const pad = '  '.repeat(depth)
  return hops.flatMap((hop, i) => [
    `${pad}${i + 1}. ${hop.spec} → ${endpoint(hop)}${hop.identityFiles.length ? ` (keys: ${hop.identityFiles.join(', ')})` : ''}`,
    ...(hop.proxyCommand ? [`${pad}   through ProxyCommand ${hop.proxyCommand}`] : []),
    ...(hop.proxyJump ? [`${pad}   through:`, ...hopLines(hop.proxyJump, depth + 2)] : []),
  ])
}

function connectionRows(c: ConnectionDescription, sshConfig: string | null): Array<[string, string[]]> {
  if (c.type === 'local') return [['type', ['local (runs on this machine, no SSH)']]]
  const from = (s: string) => (s === 'default' ? ' (default)' : ` (from ${s})`)
  return [
    ['type', ['ssh']],
    ['address', [c.address + from(c.sources.address)]],
    ['port', [String(c.port) + from(c.sources.port)]],
    ['user', [c.user + from(c.sources.user)]],
    ['identity files', c.identityFiles.length ? c.identityFiles : ['none (ssh-agent only)']],
    ['jump', c.jumps ? [c.proxyJump!, ...hopLines(c.jumps, 1)] : ['none']],
    ['proxy command', [c.proxyCommand ?? 'none']],
    ['known_hosts', c.knownHostsFiles],
    ['global known_hosts', c.globalKnownHostsFiles.length ? c.globalKnownHostsFiles : ['none']],
    ['host key checking', [c.hostKeyChecking]],
    ['connect timeout', [seconds(c.connectTimeoutMs)]],
    ['keepalive', [seconds(c.keepaliveMs)]],
    ['ssh-agent', [c.agent ?? 'none']],
    ...(c.passphraseEnv ? ([['passphrase from', [`$${c.passphraseEnv}`]]] as Array<[string, string[]]>) : []),
    ['ssh_config', [sshConfig ?? 'none']],
  ]
}

function block(c: ChalkInstance, title: string, rows: Array<[string, string[]]>): string[] {
  if (!rows.length) return [c.bold(title), '  (none)']
  const w = Math.max(...rows.map(([k]) => k.length))
  return [c.bold(title), ...rows.flatMap(([k, vs]) => vs.map((v, i) => `  ${(i ? '' : k).padEnd(w)}  ${v}`))]
}

const show = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v))

/** One host, readable: what `ssh -G` and `ansible-inventory --host` would say, in dops's terms. */
export function formatHostDescription(c: ChalkInstance, h: HostDescription, sshConfig: string | null): string {
  const labels = Object.entries(h.labels).map(([k, v]): [string, string[]] => [k, [v]])
  const vars = Object.entries(h.vars)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]): [string, string[]] => [k, show(v).split('\n')])
  return [
    `${c.bold(h.name)}  group ${h.group}${h.groups.length > 1 ? ` (groups: ${h.groups.join(', ')})` : ''}${h.env ? `, environment ${h.env}` : ''}`,
    '',
    ...block(c, 'connection', connectionRows(h.connection, sshConfig)),
    '',
    ...block(c, 'labels', labels),
    '',
    ...block(c, 'vars', vars),
  ].join('\n')
}
