/**
 * Remote commands are data: pure builders that return the exact string the remote login shell runs. Every value
 * that reaches the remote shell goes through `shQuote`.
 */

/** POSIX single-quote a value for a remote shell. */
export function shQuote(value: string): string {
  if (value === '') return "''"
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value
  return "'" + value.replace(/'/g, `'\\''`) + "'"
}

export interface CommandSpec {
  /** a shell command line (run by `sh -c`), or */
  command?: string
  /** when set, the script's text is sent on stdin, saved to a temporary file and executed with `args` */
  script?: boolean
  args?: string[]
  /** run through `sudo -n` as root */
  sudo?: boolean
  /** run through `sudo -n -u USER` */
  runAs?: string
  /** seconds; the remote `timeout` kills the command's whole process group (TERM, then KILL 5 s later) */
  timeoutSec?: number
  /** environment variables for the command */
  env?: Record<string, string>
}

/** Exit status `timeout` returns when it had to stop the command. */
export const TIMEOUT_EXIT_CODES = [124, 137]

function wrap(argv: string, spec: CommandSpec): string {
  let cmd = argv
  if (spec.env && Object.keys(spec.env).length) {
    for (const k of Object.keys(spec.env)) if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new Error(`invalid environment variable name: ${k}`)
    cmd = `env ${Object.entries(spec.env).map(([k, v]) => `${k}=${shQuote(v)}`).join(' ')} ${cmd}`
  }
  if (spec.timeoutSec !== undefined) cmd = `timeout -k 5 ${Math.max(1, Math.ceil(spec.timeoutSec))} ${cmd}`
  if (spec.runAs) cmd = `sudo -n -H -u ${shQuote(spec.runAs)} -- ${cmd}`
  else if (spec.sudo) cmd = `sudo -n -- ${cmd}`
  return cmd
}

export function buildRemoteCommand(spec: CommandSpec): string {
  if (spec.script) {
    const args = (spec.args ?? []).map(shQuote).join(' ')
    const mode = spec.runAs ? '755' : '700'
    const run = wrap(`"$f"${args ? ' ' + args : ''}`, spec)
    return `f=$(mktemp "\${TMPDIR:-/tmp}/dops-script.XXXXXX") && cat >"$f" && chmod ${mode} "$f" && { ${run}; rc=$?; rm -f "$f"; exit $rc; }`
  }
  if (spec.command === undefined) throw new Error('a command or a script is required')
  const needsShell = spec.timeoutSec !== undefined || spec.sudo || spec.runAs || spec.env
  return needsShell ? wrap(`sh -c ${shQuote(spec.command)}`, spec) : spec.command
}

/**
 * Kill, on the host, every process of the other sessions of this SSH connection: sshd starts each channel's command
 * in a session of its own whose leader is a child of the connection's sshd process (our shell's parent). Only
 * processes in those sessions are killed, so nothing that is not ours is touched. `kill` as the login user first;
 * where that is refused (a command run through sudo), through `sudo -n`.
 */
export function buildKillSessionsCommand(): string {
  return [
    'me=$$; P=$PPID; sids=',
    'for d in /proc/[0-9]*; do read -r s <"$d/stat" 2>/dev/null || continue; s=${s##*) }; set -- $s; [ "$2" = "$P" ] && [ "${d#/proc/}" != "$me" ] && sids="$sids ${d#/proc/}"; done',
    '[ -n "$sids" ] || exit 0',
    'pids=; for d in /proc/[0-9]*; do read -r s <"$d/stat" 2>/dev/null || continue; s=${s##*) }; set -- $s; for x in $sids; do [ "$4" = "$x" ] && pids="$pids ${d#/proc/}"; done; done',
    '[ -n "$pids" ] || exit 0',
    'kill -KILL $pids 2>/dev/null || sudo -n kill -KILL $pids 2>/dev/null',
    'exit 0',
  ].join('\n')
}
