/** ssh_config lines split as OpenSSH's readconf.c does (strdelim for the keyword, argv_split for the arguments). */

export interface ConfigLine {
  file: string
  line: number
  /** lower-cased keyword */
  keyword: string
  args: string[]
  /** the rest of the line after the keyword and its separator, unsplit (ProxyCommand and friends keep it raw) */
  raw: string
}

export class SshConfigSyntaxError extends Error {
  constructor(readonly file: string, readonly line: number, readonly col: number, message: string) {
    super(`${file}:${line}:${col}: ${message}`)
  }
}

/** argv_split(…, terminate_on_comment=1): whitespace-separated words, "…" and '…' group, \ escapes quotes, \ and space. */
export function splitArgs(s: string): string[] | {error: string; col: number} {
  const out: string[] = []
  let i = 0
  while (i < s.length) {
    while (s[i] === ' ' || s[i] === '\t') i++
    if (i >= s.length || s[i] === '#') break
    let arg = ''
    let quote = ''
    const start = i
    for (; i < s.length; i++) {
      const c = s[i]!
      if (c === '\\' && i + 1 < s.length && (s[i + 1] === '"' || s[i + 1] === "'" || s[i + 1] === '\\' || (!quote && s[i + 1] === ' '))) {
        arg += s[++i]
      } else if (!quote && (c === ' ' || c === '\t')) break
      else if (!quote && (c === '"' || c === "'")) quote = c
      else if (quote && c === quote) quote = ''
      else arg += c
    }
    if (quote) return {error: 'unterminated quote', col: start + 1}
    out.push(arg)
  }
  return out
}

/** Parse a whole file's text into keyword lines (comments and blank lines dropped). */
export function parseConfigText(text: string, file: string): ConfigLine[] {
  const out: ConfigLine[] = []
  const lines = text.split('\n')
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.replace(/[ \t\r\n\f]+$/, '')
    const lead = /^[ \t]*/.exec(line)![0].length
    const m = /^([^ \t="']*)[ \t]*(=?)[ \t]*/.exec(line.slice(lead))!
    const keyword = m[1]!.toLowerCase()
    if (!keyword || keyword.startsWith('#')) continue
    const rest = line.slice(lead + m[0].length)
    if (!rest) throw new SshConfigSyntaxError(file, n + 1, lead + 1, `no argument after keyword "${m[1]}"`)
    const args = splitArgs(rest)
    if (!Array.isArray(args)) throw new SshConfigSyntaxError(file, n + 1, lead + m[0].length + args.col, `${m[1]}: ${args.error}`)
    if (keyword === 'match') checkMatch(args, file, n + 1, lead + m[0].length + 1)
    out.push({file, line: n + 1, keyword, args, raw: rest})
  }
  return out
}

const WITH_ARG = new Set(['exec', 'host', 'originalhost', 'user', 'localuser'])

/** Match criteria dops evaluates; others (localnetwork, tagged) are refused rather than silently never matching. */
function checkMatch(args: string[], file: string, line: number, col: number): void {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!.toLowerCase().replace(/^!/, '')
    if (WITH_ARG.has(a)) {
      if (args[++i] === undefined) throw new SshConfigSyntaxError(file, line, col, `Match ${a}: missing argument`)
    } else if (!['all', 'canonical', 'final'].includes(a)) {
      throw new SshConfigSyntaxError(file, line, col, `Match: unsupported criterion "${args[i]}" (expected all, canonical, final, exec, host, originalhost, user or localuser)`)
    }
  }
}
