/**
 * One host's options from parsed ssh_config lines, by readconf.c's rules: Host and Match sections, Include (inherits
 * the including section's state), first value wins except for cumulative keywords, a second pass when `Match final`
 * is used (where `Match canonical`/`final` match and Host patterns see the resolved HostName).
 */
import {spawnSync} from 'node:child_process'
import os from 'node:os'
import path from 'node:path'
import type {ConfigLine} from './ssh-config-parse.js'
import {SshConfigSyntaxError} from './ssh-config-parse.js'
import {globPaths, wildcardToRegExp} from './ssh-config-glob.js'

export const CUMULATIVE = new Set(['identityfile', 'certificatefile', 'localforward', 'remoteforward', 'dynamicforward', 'sendenv'])
/** keywords whose value is the rest of the line, not split into words */
const RAW = new Set(['proxycommand', 'localcommand', 'remotecommand', 'knownhostscommand', 'proxyjump'])

export interface Options {
  /** first value of each keyword (args; RAW keywords: one element, the unsplit rest) */
  single: Map<string, string[]>
  /** cumulative keywords: every value in order, duplicates dropped */
  multi: Map<string, string[]>
  /** where each single keyword was set (for located errors) */
  where: Map<string, ConfigLine>
}

export interface EvalContext {
  /** host as given on the command line (%n, Match originalhost) */
  original: string
  localUser: string
  /** home directory as OpenSSH finds it (the passwd entry, not $HOME) */
  home: string
  readFile: (file: string) => ConfigLine[] | undefined
  exec: (cmd: string) => boolean
  /** %-expansion for Match exec with what is known so far */
  expandExec: (cmd: string, o: Options, host: string) => string
}

const isActiveMatch = (patternList: string, value: string, caseless: boolean): boolean => {
  let hit = false
  const v = caseless ? value.toLowerCase() : value
  for (let p of patternList.split(',')) {
    const neg = p.startsWith('!')
    if (neg) p = p.slice(1)
    if (wildcardToRegExp(caseless ? p.toLowerCase() : p).test(v)) {
      if (neg) return false
      hit = true
    }
  }
  return hit
}

function setOption(o: Options, l: ConfigLine): void {
  const k = l.keyword
  if (CUMULATIVE.has(k)) {
    const list = o.multi.get(k) ?? []
    for (const a of l.args.slice(0, k === 'sendenv' ? undefined : 1)) if (!list.includes(a)) list.push(a)
    o.multi.set(k, list)
    return
  }
  // ProxyJump and ProxyCommand exclude each other: whichever comes first wins
  if ((k === 'proxycommand' && o.single.has('proxyjump')) || (k === 'proxyjump' && o.single.has('proxycommand'))) return
  if (o.single.has(k)) return
  o.single.set(k, RAW.has(k) ? [l.raw.replace(/^[ \t=]+/, '')] : l.args)
  o.where.set(k, l)
}

/** the name `Match host` tests: HostName so far with %h expanded, else the host */
export const currentHost = (o: Options, host: string) => (o.single.get('hostname')?.[0]?.replace(/%(.)/g, (m, t: string) => (t === 'h' ? host : t === '%' ? '%' : m)) ?? host).toLowerCase()

function matchLine(l: ConfigLine, o: Options, host: string, ctx: EvalContext, final: boolean, wantFinal: {v: boolean}): boolean {
  const a = l.args
  if (!a.length) throw new SshConfigSyntaxError(l.file, l.line, 1, 'Match: missing criteria')
  let result = true
  for (let i = 0; i < a.length; i++) {
    let attr = a[i]!.toLowerCase()
    const negate = attr.startsWith('!')
    if (negate) attr = attr.slice(1)
    if (attr === 'all') {
      if (a.length - i > 1 && !(a.length === 2 && ['canonical', 'final'].includes(a[1 - i]!.toLowerCase()))) throw new SshConfigSyntaxError(l.file, l.line, 1, 'Match all: must appear alone or with canonical/final')
      if (negate) result = false
      continue
    }
    if (attr === 'canonical' || attr === 'final') {
      if (attr === 'final' && !negate) wantFinal.v = true
      if (final === negate) result = false
      continue
    }
    const arg = a[++i]
    if (arg === undefined) throw new SshConfigSyntaxError(l.file, l.line, 1, `Match ${attr}: missing argument`)
    let r: boolean
    if (attr === 'host') r = isActiveMatch(arg, currentHost(o, host), true)
    else if (attr === 'originalhost') r = isActiveMatch(arg, ctx.original, true)
    else if (attr === 'user') r = isActiveMatch(arg, o.single.get('user')?.[0] ?? ctx.localUser, false)
    else if (attr === 'localuser') r = isActiveMatch(arg, ctx.localUser, false)
    else if (attr === 'exec') {
      if (!result) continue // OpenSSH skips the command when an earlier criterion failed
      r = ctx.exec(ctx.expandExec(arg, o, host))
    } else throw new SshConfigSyntaxError(l.file, l.line, 1, `Match: unsupported criterion "${attr}" (expected all, canonical, final, exec, host, originalhost, user, localuser)`)
    if (r === negate) result = false
  }
  return result
}

function includePaths(l: ConfigLine, ctx: EvalContext): string[] {
  return l.args.flatMap((arg) => {
    const p = arg.startsWith('~') ? arg.replace(/^~(?=\/|$)/, ctx.home) : path.isAbsolute(arg) ? arg : path.join(ctx.home, '.ssh', arg)
    return globPaths(p)
  })
}

function walk(lines: ConfigLine[], o: Options, host: string, ctx: EvalContext, final: boolean, state: {active: boolean}, neverMatch: boolean, wantFinal: {v: boolean}, depth: number): void {
  for (const l of lines) {
    if (l.keyword === 'host') {
      state.active = false
      if (neverMatch) continue
      const h = host // case-sensitive: ssh matches Host patterns against the name as typed
      for (let p of l.args) {
        const neg = p.startsWith('!')
        if (neg) p = p.slice(1)
        if (wildcardToRegExp(p).test(h)) {
          if (neg) {
            state.active = false
            break
          }
          state.active = true
        }
      }
    } else if (l.keyword === 'match') {
      state.active = !neverMatch && matchLine(l, o, host, ctx, final, wantFinal)
    } else if (l.keyword === 'include') {
      if (depth >= 16) throw new SshConfigSyntaxError(l.file, l.line, 1, 'Include: nested too deeply (16 levels)')
      const was = state.active
      for (const f of includePaths(l, ctx)) {
        const inc = ctx.readFile(f)
        if (inc) walk(inc, o, host, ctx, final, state, neverMatch || !was, wantFinal, depth + 1)
        state.active = was
      }
    } else if (state.active) setOption(o, l)
  }
}

/** `commandLine`: options given on ssh's command line (-o, -p, -l, -i, -J), applied first as ssh.c does, so they win. */
export function evaluate(lines: ConfigLine[], alias: string, ctx: EvalContext, commandLine: ConfigLine[] = []): Options {
  const o: Options = {single: new Map(), multi: new Map(), where: new Map()}
  for (const l of commandLine) setOption(o, l)
  const wantFinal = {v: false}
  const host = alias
  walk(lines, o, host, ctx, false, {active: true}, false, wantFinal, 0)
  if (wantFinal.v) {
    // ssh.c: the second pass sees the resolved HostName (already expanded) and matches Host patterns against it
    const resolved = currentHost(o, host)
    if (o.single.has('hostname')) o.single.set('hostname', [resolved])
    walk(lines, o, resolved, ctx, true, {active: true}, false, {v: false}, 0)
  }
  return o
}

/** as OpenSSH: the user's $SHELL (else /bin/sh) runs the command; exit 0 matches */
export function runMatchExec(cmd: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const shell = env.SHELL || '/bin/sh'
  const r = spawnSync(shell, ['-c', cmd], {stdio: 'ignore', timeout: 30_000, env})
  return r.status === 0
}

let home: string | undefined
/** OpenSSH expands ~ and %d from the passwd entry, not $HOME */
export const passwdHome = (): string => {
  if (home === undefined) {
    try {
      home = os.userInfo().homedir
    } catch {
      home = os.homedir()
    }
  }
  return home
}
