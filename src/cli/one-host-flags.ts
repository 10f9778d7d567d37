/** Flags of the commands that act on one host (`dops ssh`, `dops exec`): where hosts come from, and how to connect. */
import {Flags} from '@oclif/core'
import {connectionFlags, targetFlags} from './base.js'

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
