/**
 * The system `ssh` command line for one resolved host (`dops ssh`, `dops exec`): every setting dops resolved is
 * passed as an explicit `-o` option, so OpenSSH connects where dops would and checks the host key itself, against
 * the same known_hosts files and with the same policy. Pure: tested against `ssh -G`.
 */
import {InvalidInputError} from '../errors.js'
import type {SshTarget} from '../transport/ssh-target.js'

export interface SystemSshOptions {
  /** the ssh_config dops read (`-F FILE`), or none (`-F none`): OpenSSH then reads nothing dops did not */
  configFile?: string
  /** the plan says `agent: false` */
  noAgent?: boolean
  /** force a terminal (`-tt`), refuse one (`-T`), or let ssh decide (a login shell gets one on a terminal) */
  tty?: 'force' | 'none' | 'auto'
  /** the remote command line (as ssh joins its arguments); none: a login shell */
  command?: string
}

/**
 * One value as ssh's option parser reads it: `%` doubled where OpenSSH expands %-tokens (paths, HostName), double
 * quotes around a value with spaces. A double quote cannot be carried at all.
 */
function value(s: string, tokens: boolean): string {
  if (s.includes('"')) throw new InvalidInputError(`\`${s}\` contains a double quote, which an ssh option cannot carry`)
  const v = tokens ? s.replace(/%/g, '%%') : s
  return /\s/.test(v) ? `"${v}"` : v
}

export function systemSshArgs(t: SshTarget, o: SystemSshOptions = {}): string[] {
  const opt = (k: string, v: string | number) => ['-o', `${k}=${v}`]
  const args = [
    '-F', o.configFile ?? 'none',
    ...opt('HostName', value(t.address, true)),
    ...opt('Port', t.port),
    ...opt('User', value(t.user, false)),
    ...t.identityFiles.flatMap((f) => opt('IdentityFile', value(f, true))),
    ...opt('UserKnownHostsFile', t.knownHostsFiles.map((f) => value(f, true)).join(' ') || 'none'),
    ...opt('StrictHostKeyChecking', t.hostKeyChecking === 'accept-new' ? 'accept-new' : 'yes'),
    ...opt('ProxyJump', value(t.proxyJump ?? 'none', false)),
    ...opt('ConnectTimeout', Math.max(1, Math.ceil(t.connectTimeoutMs / 1000))),
    ...opt('ServerAliveInterval', Math.max(1, Math.round(t.keepaliveMs / 1000))),
    ...(o.noAgent ? opt('IdentityAgent', 'none') : []),
    ...(o.tty === 'force' ? ['-tt'] : o.tty === 'none' ? ['-T'] : []),
    // the alias is the destination (as dops looked it up in ssh_config); HostName above says where it is
    '--', t.alias,
  ]
  return o.command !== undefined ? [...args, o.command] : args
}
