/**
 * Is this pid still the sandbox host dops started? A pid alone proves nothing: after the host dies (or the machine
 * reboots) the kernel gives the number to another process, and a dead host whose parent has not reaped it yet is a
 * zombie that `kill -0` still finds. A sandbox is recognised by its process start time (recorded at launch, from
 * /proc/PID/stat) and its command line (`unshare ... sshd -f <its dir>/sshd_config`).
 */
import {readFileSync} from 'node:fs'
import path from 'node:path'
import {shQuote} from '../../transport/remote-command.js'

interface ProcStat {
  state: string
  startTime: string
}

function procStat(pid: number): ProcStat | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // the command name (field 2) is in parentheses and may itself hold spaces or parentheses
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ')
    // rest[0] is field 3 (state); field 22 (start time, in clock ticks since boot) is rest[19]
    return {state: rest[0] ?? '', startTime: rest[19] ?? ''}
  } catch {
    return undefined
  }
}

/** The process's start time (clock ticks since boot), recorded at launch to recognise the process later. */
export function processStartTime(pid: number): string | undefined {
  return procStat(pid)?.startTime
}

/**
 * True when `pid` is a live (not zombie) `unshare` running the sandbox whose files are in `dir`, and, when the
 * launch recorded one, started at `startTime`.
 */
export function isSandboxProcess(pid: number, dir: string, startTime?: string): boolean {
  const st = procStat(pid)
  if (!st || st.state === 'Z' || st.state === 'X') return false
  if (startTime !== undefined && st.startTime !== startTime) return false
  let argv: string[]
  try {
    argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')
  } catch {
    return false
  }
  return path.basename(argv[0] ?? '') === 'unshare' && argv.some((a) => a.includes(sshdConfigArg(dir)))
}

/** The part of a sandbox's command line that names its files (how it is recognised). */
export function sshdConfigArg(dir: string): string {
  return `-f ${shQuote(path.join(dir, 'sshd_config'))}`
}

export {isWithin} from '../../util/within.js'
