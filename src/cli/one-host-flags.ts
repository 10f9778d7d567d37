/** Flags of the commands that act on one host (`dops ssh`, `dops exec`): where hosts come from, and how to connect. */
import {Args, Flags} from '@oclif/core'
import {connectionFlags, connectionFrom, targetFlags} from './base.js'
import {resolveOneHost, type OneHost} from '../ops/one-host.js'

const {'max-handshakes': _m, 'known-hosts': knownHosts, ...connection} = connectionFlags

export const oneHostFlags = {
  file: targetFlags.file,
  env: targetFlags.env,
  inventory: targetFlags.inventory,
  ...connection,
  // non-greedy: `--known-hosts FILE web-1 -- cmd` leaves web-1 as the host argument
  'known-hosts': Flags.string({...knownHosts, multiple: true, multipleNonGreedy: true}),
  tty: Flags.boolean({char: 't', description: 'give the command a terminal (ssh -tt)'}),
}

export const oneHostArgs = {host: Args.string({description: 'host name or address', required: true})}

export const ONE_HOST_EXIT_CODES = `EXIT CODES
  - the remote command's (or shell's) exit code
  - 255 when ssh itself failed: connection, authentication, host key (as ssh)
  - 2 for invalid input (nothing ran): no such host, no command, bad flags`

/** The host named on the command line, resolved from the flags' plan or inventory and connection overrides. */
export function oneHostFrom(flags: {file?: string; env?: string; inventory?: string} & Parameters<typeof connectionFrom>[0], host: string): Promise<OneHost> {
  return resolveOneHost({source: {cwd: process.cwd(), planFile: flags.file, env: flags.env, inventory: flags.inventory}, connection: connectionFrom(flags), host})
}
