/** OpenSSH's %-token and ${ENV} expansion (ssh_config(5) TOKENS and ENVIRONMENT VARIABLES). */
import {createHash} from 'node:crypto'
import os from 'node:os'

export interface TokenValues {
  /** resolved HostName */
  h: string
  /** host as given */
  n: string
  p: string
  r: string
  u: string
  d: string
  /** ProxyJump or '' */
  j?: string
  /** HostKeyAlias or the host */
  k?: string
}

export class ExpandError extends Error {}

let thisHost: string | undefined
const localHost = () => (thisHost ??= os.hostname())

/** full client token set (IdentityFile, UserKnownHostsFile, Match exec, …) or only some (`only`) */
export function percentExpand(s: string, v: TokenValues, only?: string): string {
  return s.replace(/%(.?)/g, (_m, t: string) => {
    if (only !== undefined && !only.includes(t)) throw new ExpandError(`unknown token %${t} in \`${s}\` (accepted here: ${[...only].map((x) => '%' + x).join(' ')})`)
    switch (t) {
      case '%': return '%'
      case 'h': return v.h
      case 'n': return v.n
      case 'p': return v.p
      case 'r': return v.r
      case 'u': return v.u
      case 'd': return v.d
      case 'j': return v.j ?? ''
      case 'k': return v.k ?? v.h
      case 'i': return String(process.getuid?.() ?? 0)
      case 'l': return localHost()
      case 'L': return localHost().split('.')[0]!
      case 'C': return createHash('sha1').update(localHost() + v.h + v.p + v.r).digest('hex')
      default: throw new ExpandError(`unknown token %${t} in \`${s}\``)
    }
  })
}

export function dollarExpand(s: string, env: NodeJS.ProcessEnv): string {
  return s.replace(/\$\{([^}]*)\}/g, (_m, name: string) => {
    const v = env[name]
    if (v === undefined) throw new ExpandError(`environment variable \${${name}} is not set (in \`${s}\`)`)
    return v
  })
}

export const tildeExpand = (s: string, home: string) => s.replace(/^~(?=\/|$)/, home)
