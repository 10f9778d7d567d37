/**
 * ssh_config lookup resolved as `ssh -G` resolves it (readconf.c's rules, see ssh-config-eval.ts), with OpenSSH's
 * %-tokens, ${ENV} and ~ expanded where OpenSSH expands them. Files are parsed once; a lookup is a walk over the lines.
 */
import {readFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {evaluate, passwdHome, runMatchExec, type Options} from './ssh-config-eval.js'
import {dollarExpand, percentExpand, tildeExpand, type TokenValues} from './ssh-config-expand.js'
import {parseConfigText, type ConfigLine} from './ssh-config-parse.js'

export interface SshConfigEntry {
  hostName?: string
  user?: string
  port?: number
  /** every IdentityFile, in order, expanded (a relative one is relative to the working directory, as for ssh) */
  identityFiles: string[]
  proxyJump?: string
  /** ProxyCommand with %h %n %p %r %% expanded (undefined when unset or `none`) */
  proxyCommand?: string
  userKnownHostsFiles: string[]
  /** GlobalKnownHostsFile when set (`none`: an empty list); undefined: OpenSSH's default */
  globalKnownHostsFiles?: string[]
  strictHostKeyChecking?: 'yes' | 'no' | 'ask' | 'accept-new'
  connectTimeout?: number
  /** values as written (before expansion), for display and comparison with `ssh -G` */
  raw: {identityFiles: string[]; proxyCommand?: string; /** expanded, unfiltered */ userKnownHostsFiles: string[]}
}

let me: string | undefined
const localUserName = () => (me ??= os.userInfo().username)

const STRICT: Record<string, SshConfigEntry['strictHostKeyChecking']> = {yes: 'yes', true: 'yes', no: 'no', false: 'no', off: 'no', ask: 'ask', 'accept-new': 'accept-new'}

export class SshConfigFile {
  private readonly files = new Map<string, ConfigLine[] | undefined>()
  private readonly execCache = new Map<string, boolean>()

  private constructor(
    readonly file: string | undefined,
    private readonly lines: ConfigLine[] | undefined,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  static empty(): SshConfigFile {
    return new SshConfigFile(undefined, undefined)
  }

  /** Read a config file; a missing default file is fine, a missing explicit one is an error. */
  static read(file: string, required: boolean, env: NodeJS.ProcessEnv = process.env): SshConfigFile {
    let text: string
    try {
      text = readFileSync(file, 'utf8')
    } catch (e) {
      if (!required && (e as NodeJS.ErrnoException).code === 'ENOENT') return SshConfigFile.empty()
      throw new Error(`cannot read ssh config ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`)
    }
    return new SshConfigFile(file, parseConfigText(text, file), env)
  }

  private readInclude = (f: string): ConfigLine[] | undefined => {
    if (!this.files.has(f)) {
      let lines: ConfigLine[] | undefined
      try {
        lines = parseConfigText(readFileSync(f, 'utf8'), f)
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT' && (e as NodeJS.ErrnoException).code !== 'EISDIR') throw e
      }
      this.files.set(f, lines)
    }
    return this.files.get(f)
  }

  /** raw options for `alias` (keyword → values), as readconf.c collects them; `commandLine` options come first */
  options(alias: string, localUser = localUserName(), commandLine: ConfigLine[] = []): Options {
    const home = passwdHome()
    return evaluate(this.lines ?? [], alias, {
      original: alias,
      localUser,
      home,
      readFile: this.readInclude,
      exec: (cmd) => {
        if (!this.execCache.has(cmd)) this.execCache.set(cmd, runMatchExec(cmd, this.env))
        return this.execCache.get(cmd)!
      },
      expandExec: (cmd, o, host) => percentExpand(cmd, this.tokens(o, alias, host, localUser, home)),
    }, commandLine)
  }

  private tokens(o: Options, alias: string, host: string, localUser: string, home: string): TokenValues {
    const one = (k: string) => o.single.get(k)?.[0]
    const h = (one('hostname') ?? '%h').replace(/%(.)/g, (m, t: string) => (t === 'h' ? host : t === '%' ? '%' : m)).toLowerCase()
    const jump = one('proxyjump')
    return {h, n: alias, p: one('port') ?? '22', r: one('user') ?? localUser, u: localUser, d: home, j: jump && jump.toLowerCase() !== 'none' ? jump : '', k: one('hostkeyalias') ?? h}
  }

  /** What `ssh [commandLine options] alias` resolves (`ssh -G`): command-line options first, then this file. */
  lookup(alias: string, localUser = localUserName(), commandLine: ConfigLine[] = []): SshConfigEntry {
    if (!this.lines && !commandLine.length) return {identityFiles: [], userKnownHostsFiles: [], raw: {identityFiles: [], userKnownHostsFiles: []}}
    const home = passwdHome()
    const o = this.options(alias, localUser, commandLine)
    const one = (k: string) => o.single.get(k)?.[0]
    const v = this.tokens(o, alias, alias.toLowerCase(), localUser, home)
    const expand = (s: string) => percentExpand(dollarExpand(tildeExpand(s, home), this.env), v)
    const file = (s: string) => path.resolve(expand(s))
    const rawIds = o.multi.get('identityfile') ?? []
    const pc = one('proxycommand')
    const jump = one('proxyjump')
    const ukh = (o.single.get('userknownhostsfile') ?? []).map(expand)
    const gkh = o.single.get('globalknownhostsfile')
    return {
      hostName: one('hostname') !== undefined ? v.h : undefined,
      user: one('user'),
      port: one('port') !== undefined ? Number(one('port')) : undefined,
      identityFiles: rawIds.filter((f) => f.toLowerCase() !== 'none').map(file),
      proxyJump: jump && jump.toLowerCase() !== 'none' ? jump : undefined,
      proxyCommand: pc && pc.toLowerCase() !== 'none' ? percentExpand(pc, v, '%hnpr') : undefined,
      userKnownHostsFiles: ukh.filter((f) => f !== '/dev/null' && f.toLowerCase() !== 'none').map((f) => path.resolve(f)),
      globalKnownHostsFiles: gkh === undefined ? undefined : gkh.filter((f) => f.toLowerCase() !== 'none' && f !== '/dev/null').map(file),
      strictHostKeyChecking: one('stricthostkeychecking') !== undefined ? STRICT[one('stricthostkeychecking')!.toLowerCase()] : undefined,
      connectTimeout: one('connecttimeout') !== undefined ? Number(one('connecttimeout')) : undefined,
      raw: {identityFiles: rawIds, proxyCommand: pc, userKnownHostsFiles: ukh},
    }
  }
}
