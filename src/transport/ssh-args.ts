/**
 * Extra `ssh` arguments (Ansible's `ansible_ssh_common_args` / `ansible_ssh_extra_args`): split as Python's
 * shlex.split splits them (Ansible's `_split_ssh_args`), then read as ssh reads its command line. Options that say
 * where or as whom to connect are applied (above ssh_config, as command-line options are); options that change
 * nothing about the destination are accepted and have no effect; anything else is refused, never silently ignored.
 */
import type {ConfigLine} from './ssh-config-parse.js'
import {parseConfigText, SshConfigSyntaxError} from './ssh-config-parse.js'

export const COMMAND_LINE = '<command line>'

/** `-o` keywords dops applies (ssh_config(5) names, lower-cased). */
export const APPLIED_OPTIONS = ['hostname', 'port', 'user', 'identityfile', 'proxyjump', 'proxycommand', 'stricthostkeychecking', 'userknownhostsfile', 'globalknownhostsfile', 'connecttimeout']
/** `-o` keywords accepted without effect: they change neither the host, the port, the user, the key nor the host-key check. */
export const NEUTRAL_OPTIONS = ['controlmaster', 'controlpersist', 'controlpath', 'serveraliveinterval', 'serveralivecountmax', 'compression', 'loglevel', 'connectionattempts', 'tcpkeepalive', 'forwardagent', 'passwordauthentication', 'kbdinteractiveauthentication', 'challengeresponseauthentication', 'preferredauthentications', 'identitiesonly', 'batchmode', 'pubkeyauthentication', 'gssapiauthentication', 'requesttty', 'addkeystoagent', 'checkhostip', 'hashknownhosts', 'visualhostkey', 'updatehostkeys', 'sendenv', 'numberofpasswordprompts']
/** flags without an argument that change nothing about the destination */
const NEUTRAL_FLAGS = new Set(['q', 'v', 'C', 'T', 't', 'A', 'a', 'x', 'n', 'N', 'K', 'k', 'g', 'y'])
/** flags that take an argument (ssh(1)), so `-oX` and `-o X` both read */
const WITH_ARG = new Set(['o', 'F', 'J', 'i', 'p', 'l', 'b', 'B', 'c', 'D', 'E', 'e', 'I', 'L', 'm', 'O', 'P', 'Q', 'R', 'S', 'W', 'w'])

export class SshArgsError extends Error {}

/** Python's shlex.split (posix mode, no comments): quotes and backslashes as a POSIX shell reads them. */
export function shlexSplit(s: string): string[] {
  const out: string[] = []
  let cur = ''
  let inWord = false
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!
    if (c === "'") {
      const end = s.indexOf("'", i + 1)
      if (end < 0) throw new SshArgsError('No closing quotation')
      cur += s.slice(i + 1, end)
      i = end
      inWord = true
    } else if (c === '"') {
      inWord = true
      let j = i + 1
      for (; j < s.length && s[j] !== '"'; j++) {
        if (s[j] === '\\' && j + 1 < s.length && '\\"'.includes(s[j + 1]!)) cur += s[++j]
        else cur += s[j]
      }
      if (j >= s.length) throw new SshArgsError('No closing quotation')
      i = j
    } else if (c === '\\') {
      if (i + 1 >= s.length) throw new SshArgsError('No escaped character')
      cur += s[++i]
      inWord = true
    } else if (/\s/.test(c)) {
      if (inWord) out.push(cur)
      cur = ''
      inWord = false
    } else {
      cur += c
      inWord = true
    }
  }
  if (inWord) out.push(cur)
  // Ansible drops empty and blank elements and strips each
  return out.map((x) => x.trim()).filter((x) => x)
}

export interface SshArgs {
  /** options in command-line order, as ssh_config lines (first value wins, as on ssh's command line) */
  options: ConfigLine[]
  /** `-F FILE`: the ssh_config read instead of the usual one */
  configFile?: string
}

const line = (keyword: string, value: string): ConfigLine => ({file: COMMAND_LINE, line: 0, keyword, args: [value], raw: value})

/** Read ssh arguments (already split) as ssh's getopt does; throws SshArgsError naming the option it refuses. */
export function parseSshArgs(argv: string[]): SshArgs {
  const r: SshArgs = {options: []}
  const add = (l: ConfigLine) => {
    if (l.keyword === 'proxyjump' && l.file === COMMAND_LINE && r.options.some((o) => o.keyword === 'proxycommand')) throw new SshArgsError('-J cannot be combined with a ProxyCommand given before it (ssh: "Cannot specify -J with ProxyCommand")')
    r.options.push(l)
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (!a.startsWith('-') || a === '-') throw new SshArgsError(`\`${a}\` is not an option (only options may be given here; the host is the inventory's)`)
    if (a === '--') throw new SshArgsError('`--` ends the options: nothing may follow in these arguments')
    for (let j = 1; j < a.length; j++) {
      const f = a[j]!
      if (NEUTRAL_FLAGS.has(f)) continue
      if (!WITH_ARG.has(f)) throw new SshArgsError(`-${f} is not supported${f === '4' || f === '6' ? ' (it changes which address is used)' : ''}`)
      const value = j + 1 < a.length ? a.slice(j + 1) : argv[++i]
      if (value === undefined) throw new SshArgsError(`-${f} needs a value`)
      if (f === 'o') add(optionLine(value))
      else if (f === 'F') r.configFile = value
      else if (f === 'J') add(line('proxyjump', value))
      else if (f === 'i') add(line('identityfile', value))
      else if (f === 'p') add(checkedPort(value))
      else if (f === 'l') add(line('user', value))
      else if (f !== 'E') throw new SshArgsError(`-${f} ${value} is not supported (dops connects by itself and cannot honour it)`)
      break
    }
  }
  return r
}

function checkedPort(value: string): ConfigLine {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 65535) throw new SshArgsError(`port \`${value}\` is not a port number (1-65535)`)
  return line('port', value)
}

/** `-o Keyword=value` (or `Keyword value`), split as ssh_config splits a line. */
function optionLine(text: string): ConfigLine {
  let parsed: ConfigLine[]
  try {
    parsed = parseConfigText(text, COMMAND_LINE)
  } catch (e) {
    throw new SshArgsError(`-o ${text}: ${e instanceof SshConfigSyntaxError ? e.message.replace(/^.*?: \d+:\d+: /, '') : (e as Error).message}`)
  }
  const l = parsed[0]
  if (!l || parsed.length !== 1) throw new SshArgsError(`-o \`${text}\` is not one ssh option`)
  if (l.keyword === 'port') return checkedPort(l.args[0] ?? '')
  const bad = l.keyword === 'proxycommand' && /%([^hnpr%]|$)/.exec(l.raw)
  if (bad) throw new SshArgsError(`-o ${text}: unknown token %${bad[1]} (ProxyCommand accepts %h %n %p %r %%)`)
  if (APPLIED_OPTIONS.includes(l.keyword) || NEUTRAL_OPTIONS.includes(l.keyword)) return {...l, line: 0}
  throw new SshArgsError(`-o ${text}: the option ${text.split(/[ \t=]/)[0]} is not supported (dops applies ${APPLIED_OPTIONS.join(', ')}; it refuses the others rather than ignore them)`)
}

/** Only the options dops applies (the neutral ones dropped). */
export const appliedOptions = (a: SshArgs): ConfigLine[] => a.options.filter((l) => APPLIED_OPTIONS.includes(l.keyword))
