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
  /** environment variables on the remote command line (`env K=V`, visible in `ps`): nothing secret */
  env?: Record<string, string>
  /**
   * environment variables delivered on stdin, never on a command line (what dops gives scripts: host variables,
   * secrets included): the innermost shell (after sudo) reads one
   * `NAME ENCODED` line per variable and a `.` line with the `read` builtin, decodes each value with the `printf`
   * builtin and exports it. `buildRemoteExec` puts the block before the command's own stdin.
   */
  stdinEnv?: Record<string, string>
}

/** Exit status `timeout` returns when it had to stop the command. */
export const TIMEOUT_EXIT_CODES = [124, 137]

/** Exit status of a command whose environment block did not arrive whole on stdin. */
export const ENV_BLOCK_EXIT_CODE = 125

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

function checkNames(env: Record<string, string> | undefined): void {
  for (const k of Object.keys(env ?? {})) if (!NAME.test(k)) throw new Error(`invalid environment variable name: ${k}`)
}

/**
 * A value as one line `printf %b` turns back into its exact bytes: letters, digits and `,._+:@%/=-` as they are,
 * every other byte (UTF-8) as `\0ooo`. NUL cannot be in an environment value and is refused.
 */
export function encodeEnvValue(value: string): string {
  if (value.includes('\0')) throw new Error('an environment value cannot hold a NUL byte')
  let out = ''
  for (const b of Buffer.from(value, 'utf8')) {
    const ch = String.fromCharCode(b)
    out += /[A-Za-z0-9,._+:@%/=-]/.test(ch) ? ch : '\\0' + b.toString(8).padStart(3, '0')
  }
  return out
}

/** The stdin block the reader takes: `NAME ENCODED` per variable, then a `.` line. */
export function envBlock(env: Record<string, string>): string {
  checkNames(env)
  return Object.entries(env).map(([k, v]) => `${k} ${encodeEnvValue(v)}\n`).join('') + '.\n'
}

/**
 * The shell that reads the block: `read` never reads past a newline on a pipe, so what follows on stdin (a script's
 * text, the command's own input) is left for the command. Shell variables only (DOPS__*), nothing on an argv; a
 * block cut short stops the command with ENV_BLOCK_EXIT_CODE.
 */
const READER =
  'while IFS= read -r DOPS__l && [ "$DOPS__l" != . ]; do DOPS__v=$(printf \'%bx\' "${DOPS__l#* }") && export "${DOPS__l%% *}=${DOPS__v%x}" || exit ' +
  ENV_BLOCK_EXIT_CODE +
  `; done; [ "$DOPS__l" = . ] || { echo 'dops: the environment block did not arrive on stdin' >&2; exit ${ENV_BLOCK_EXIT_CODE}; }; unset DOPS__l DOPS__v`

/** Read the block as it came (encoded) into DOPS__b, for a shell that starts later. */
const KEEP =
  'DOPS__b=; while IFS= read -r DOPS__l && [ "$DOPS__l" != . ]; do DOPS__b="$DOPS__b$DOPS__l\n"; done; ' +
  `[ "$DOPS__l" = . ] || { echo 'dops: the environment block did not arrive on stdin' >&2; exit ${ENV_BLOCK_EXIT_CODE}; }`

/** `argv` with its command-line environment and timeout (what runs as the target user). */
function inner(argv: string, spec: CommandSpec): string {
  let cmd = argv
  if (spec.env && Object.keys(spec.env).length) cmd = `env ${Object.entries(spec.env).map(([k, v]) => `${k}=${shQuote(v)}`).join(' ')} ${cmd}`
  if (spec.timeoutSec !== undefined) cmd = `timeout -k 5 ${Math.max(1, Math.ceil(spec.timeoutSec))} ${cmd}`
  return cmd
}

function sudoPrefix(spec: CommandSpec): string {
  return spec.runAs ? `sudo -n -H -u ${shQuote(spec.runAs)} -- ` : spec.sudo ? 'sudo -n -- ' : ''
}

const hasStdinEnv = (spec: CommandSpec) => !!spec.stdinEnv && Object.keys(spec.stdinEnv).length > 0

/**
 * The exact string the remote login shell runs. With `stdinEnv`, the command expects `envBlock(stdinEnv)` first
 * on its stdin: use `buildRemoteExec`, which puts it there.
 */
export function buildRemoteCommand(spec: CommandSpec): string {
  checkNames(spec.env)
  checkNames(spec.stdinEnv)
  const viaStdin = hasStdinEnv(spec)
  if (spec.script) {
    const args = (spec.args ?? []).map(shQuote).join(' ')
    const mode = spec.runAs ? '755' : '700'
    const save = (run: string) => `DOPS__f=$(mktemp "\${TMPDIR:-/tmp}/dops-script.XXXXXX") && cat >"$DOPS__f" && chmod ${mode} "$DOPS__f" && { ${run}; DOPS__rc=$?; rm -f "$DOPS__f"; exit $DOPS__rc; }`
    if (!viaStdin || !(spec.sudo || spec.runAs)) return (viaStdin ? READER + '; ' : '') + save(sudoPrefix(spec) + inner(`"$DOPS__f"${args ? ' ' + args : ''}`, spec))
    // the login user saves the script (as without a block); the block, kept encoded in a shell variable, is piped
    // (printf is a builtin: no argv) to the shell sudo starts, which decodes it
    const run = `${READER}; exec ${inner(`"$0"${args ? ' ' + args : ''}`, spec)}`
    return `${KEEP}; ${save(`printf '%s.\\n' "$DOPS__b" | ${sudoPrefix(spec)}sh -c ${shQuote(run)} "$DOPS__f"`)}`
  }
  if (spec.command === undefined) throw new Error('a command or a script is required')
  // in `sh -c` even without sudo: the login shell only has to start it (a csh login runs commands too)
  if (viaStdin) return `${sudoPrefix(spec)}sh -c ${shQuote(`${READER}; ${inner(`sh -c ${shQuote(spec.command)}`, spec)}`)}`
  const needsShell = spec.timeoutSec !== undefined || spec.sudo || spec.runAs || (spec.env && Object.keys(spec.env).length)
  return needsShell ? sudoPrefix(spec) + inner(`sh -c ${shQuote(spec.command)}`, spec) : spec.command
}

/** The command and the stdin to send with it: the environment block first, then `stdin` (a script's text). */
export function buildRemoteExec(spec: CommandSpec, stdin?: string): {command: string; stdin?: string} {
  const command = buildRemoteCommand(spec)
  if (!hasStdinEnv(spec)) return {command, stdin}
  return {command, stdin: envBlock(spec.stdinEnv!) + (stdin ?? '')}
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
