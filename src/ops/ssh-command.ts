/**
 * The system `ssh` command line for one resolved host (`dops ssh`, `dops exec`): every setting dops resolved is
 * passed as an explicit `-o` option, so OpenSSH connects where dops would and checks the host key itself, against
 * the same known_hosts files and with the same policy. Pure: tested against `ssh -G`.
 */
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

/** A value inside an ssh_config list option (UserKnownHostsFile): double quotes around paths with spaces. */
const listItem = (s: string) => (/[\s"]/.test(s) ? `"${s.replace(/"/g, '')}"` : s)

export function systemSshArgs(t: SshTarget, o: SystemSshOptions = {}): string[] {
  const opt = (k: string, v: string | number) => ['-o', `${k}=${v}`]
  const args = [
    '-F', o.configFile ?? 'none',
    ...opt('HostName', t.address),
    ...opt('Port', t.port),
    ...opt('User', t.user),
    ...t.identityFiles.flatMap((f) => opt('IdentityFile', f)),
    ...opt('UserKnownHostsFile', t.knownHostsFiles.map(listItem).join(' ') || 'none'),
    ...opt('StrictHostKeyChecking', t.hostKeyChecking === 'accept-new' ? 'accept-new' : 'yes'),
    ...opt('ProxyJump', t.proxyJump ?? 'none'),
    ...opt('ConnectTimeout', Math.max(1, Math.ceil(t.connectTimeoutMs / 1000))),
    ...opt('ServerAliveInterval', Math.max(1, Math.round(t.keepaliveMs / 1000))),
    ...(o.noAgent ? opt('IdentityAgent', 'none') : []),
    ...(o.tty === 'force' ? ['-tt'] : o.tty === 'none' ? ['-T'] : []),
    // the alias is the destination (as dops looked it up in ssh_config); HostName above says where it is
    '--', t.alias,
  ]
  return o.command !== undefined ? [...args, o.command] : args
}
