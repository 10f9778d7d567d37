/**
 * Who holds a deploy lock, precisely enough to prove that holder dead: the machine (hostname, kernel boot id, PID
 * namespace) and the process (pid and its start time, so a reused pid is not mistaken for the holder). Only a holder
 * proven to be of this machine and gone may be taken over at once; a live, remote or unprovable one never is.
 */
import {readFileSync, readlinkSync} from 'node:fs'
import os from 'node:os'

export interface ProcessIdentity {
  hostname: string
  bootId: string
  pidNs: string
  pid: number
  /** the process's start time in clock ticks since boot (/proc/<pid>/stat field 22) */
  start: string
}

function read(f: string, how: (f: string) => string): string | undefined {
  try {
    return how(f).trim()
  } catch {
    return undefined
  }
}

/** /proc/<pid>/stat's start time; the command name (field 2) may hold spaces and parentheses, so count from its end. */
export function processStart(pid: number): string | undefined {
  const stat = read(`/proc/${pid}/stat`, (f) => readFileSync(f, 'utf8'))
  if (!stat) return undefined
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]
}

/** This process, or undefined where it cannot be told exactly (no /proc: then no lock of ours is ever taken over). */
export function selfIdentity(): ProcessIdentity | undefined {
  const bootId = read('/proc/sys/kernel/random/boot_id', (f) => readFileSync(f, 'utf8'))
  const pidNs = read('/proc/self/ns/pid', readlinkSync)
  const start = processStart(process.pid)
  if (!bootId || !pidNs || !start) return undefined
  return {hostname: os.hostname(), bootId, pidNs, pid: process.pid, start}
}

/** Why the holder is proven gone, or undefined when it is not (alive, of another machine, or not identifiable). */
export function deadLocalHolder(holder: Partial<ProcessIdentity> | undefined): string | undefined {
  const me = selfIdentity()
  if (!me || !holder || typeof holder.pid !== 'number' || !Number.isInteger(holder.pid) || holder.pid <= 0 || typeof holder.start !== 'string') return undefined
  if (holder.hostname !== me.hostname || holder.bootId !== me.bootId || holder.pidNs !== me.pidNs) return undefined
  const now = processStart(holder.pid)
  if (now === undefined) return `process ${holder.pid} on this machine is no longer running`
  if (now !== holder.start) return `process ${holder.pid} on this machine is no longer running (its pid now belongs to another process)`
  return undefined
}
