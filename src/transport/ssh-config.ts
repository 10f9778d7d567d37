/** ~/.ssh/config lookup through the ssh-config package, with OpenSSH's %-tokens and ~ expanded. */
import {readFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import SSHConfig from 'ssh-config'

export interface SshConfigEntry {
  hostName?: string
  user?: string
  port?: number
  identityFiles: string[]
  proxyJump?: string
  userKnownHostsFiles: string[]
  /** GlobalKnownHostsFile when set (`none`: an empty list); undefined: OpenSSH's default */
  globalKnownHostsFiles?: string[]
  strictHostKeyChecking?: string
  connectTimeout?: number
}

export class SshConfigFile {
  private constructor(
    readonly file: string | undefined,
    private readonly config: ReturnType<typeof SSHConfig.parse> | undefined,
  ) {}

  static empty(): SshConfigFile {
    return new SshConfigFile(undefined, undefined)
  }

  /** Read a config file; a missing default file is fine, a missing explicit one is an error. */
  static read(file: string, required: boolean): SshConfigFile {
    try {
      return new SshConfigFile(file, SSHConfig.parse(readFileSync(file, 'utf8')))
    } catch (e) {
      if (!required && (e as NodeJS.ErrnoException).code === 'ENOENT') return SshConfigFile.empty()
      throw new Error(`cannot read ssh config ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`)
    }
  }

  lookup(alias: string, localUser = os.userInfo().username): SshConfigEntry {
    if (!this.config) return {identityFiles: [], userKnownHostsFiles: []}
    const c = this.config.compute(alias) as Record<string, string | string[] | undefined>
    const one = (k: string) => {
      const v = c[k]
      return Array.isArray(v) ? v[0] : v
    }
    const many = (k: string) => {
      const v = c[k]
      return (Array.isArray(v) ? v : v ? [v] : []).flatMap((x) => x.split(/\s+/)).filter(Boolean)
    }
    const hostName = one('HostName')
    const port = one('Port')
    const user = one('User')
    const expand = (s: string) =>
      s.replace(/%(.)/g, (_m, t: string) => ({h: hostName ?? alias, n: alias, p: port ?? '22', r: user ?? localUser, u: localUser, d: os.homedir(), '%': '%'})[t] ?? `%${t}`).replace(/^~(?=\/|$)/, os.homedir())
    const base = this.file ? path.dirname(this.file) : os.homedir()
    const abs = (s: string) => {
      const e = expand(s)
      return path.isAbsolute(e) ? e : path.resolve(base, e)
    }
    return {
      hostName: hostName ? expand(hostName) : undefined,
      user,
      port: port ? Number(port) : undefined,
      identityFiles: many('IdentityFile').map(abs),
      proxyJump: one('ProxyJump') && one('ProxyJump')!.toLowerCase() !== 'none' ? one('ProxyJump') : undefined,
      userKnownHostsFiles: many('UserKnownHostsFile').filter((f) => f !== '/dev/null').map(abs),
      globalKnownHostsFiles: c.GlobalKnownHostsFile === undefined ? undefined : many('GlobalKnownHostsFile').filter((f) => f.toLowerCase() !== 'none' && f !== '/dev/null').map(abs),
      strictHostKeyChecking: one('StrictHostKeyChecking')?.toLowerCase(),
      connectTimeout: one('ConnectTimeout') ? Number(one('ConnectTimeout')) : undefined,
    }
  }
}
