/**
 * The host-side shell of `dops logs`: the newest deployment log of an app (or one deployment's), printed or
 * followed. Pure builders, every value shell-quoted; the log is announced by a `::dops::log PATH` line.
 *
 * Following switches to a newer deployment's log as soon as it appears, and writes a `::dops::tick` line every
 * second: when dops goes away the next write fails (SIGPIPE), the trap stops `tail`, and nothing is left running.
 */
import {shQuote} from '../transport/remote-command.js'

export const LOG_MARKER = '::dops::log '
export const TICK = '::dops::tick'
/** exit code of the host-side script when there is no log to show */
export const NO_LOG_EXIT = 3

export interface LogsCommandOptions {
  /** the directories holding `<deployment-id>.log` files (the app's root, then one from before a layout change) */
  dirs: string[]
  /** one deployment's log instead of the newest: where it may be, in order */
  files?: string[]
  lines: number
  follow: boolean
  sudo?: boolean
}

export function logsCommand(o: LogsCommandOptions): string {
  const pick = o.files?.length
    ? `for c in ${o.files.map(shQuote).join(' ')}; do [ -f "$c" ] && { echo "$c"; break; }; done`
    : `ls -1t ${o.dirs.map((d) => `${shQuote(d)}/*.log`).join(' ')} 2>/dev/null | head -n 1`
  const n = Math.max(0, Math.floor(o.lines))
  const script = o.follow
    ? [
        `cur=; pid=`,
        `trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; exit 0' HUP INT TERM PIPE`,
        `while :; do`,
        `  f=$(${pick})`,
        `  if [ -n "$f" ] && [ "$f" != "$cur" ]; then`,
        `    [ -n "$pid" ] && kill "$pid" 2>/dev/null`,
        `    if [ -z "$cur" ]; then from=${n}; else from=+1; fi`,
        `    cur=$f; echo "${LOG_MARKER}$f"`,
        `    tail -n "$from" -F "$f" & pid=$!`,
        `  fi`,
        `  echo ${TICK} || break`,
        `  sleep 1`,
        `done`,
        `[ -n "$pid" ] && kill "$pid" 2>/dev/null`,
      ].join('\n')
    : [
        `f=$(${pick})`,
        `if [ -z "$f" ]; then echo ${shQuote(o.files?.length ? `no log ${o.files[0]}` : `no deployment log in ${o.dirs[0]}`)} >&2; exit ${NO_LOG_EXIT}; fi`,
        `echo "${LOG_MARKER}$f"`,
        `tail -n ${n} "$f"`,
      ].join('\n')
  return o.sudo ? `sudo -n sh -c ${shQuote(script)}` : `sh -c ${shQuote(script)}`
}
