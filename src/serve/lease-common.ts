/**
 * What the leader lease of `dops serve` is made of, whatever the backend: the lease record (who holds it, until
 * when), the backend's few operations, and the shared document beside it where the leader keeps each schedule's last
 * fired slot and last run. Two backends: S3 (conditional writes) and a local directory (atomic links and renames).
 */
import {randomBytes} from 'node:crypto'
import os from 'node:os'

export interface LeaseRecord {
  /** host:pid, for people */
  owner: string
  /** this server's own id (two servers of one process differ) */
  instance: string
  pid: number
  host: string
  acquiredAt: string
  expiresAt: string
  /** renewal counter: every write differs, so an ETag never repeats */
  n: number
}

export type RenewResult = 'renewed' | 'lost' | 'error'

export interface LeaseBackend {
  /** where the lease lives, for messages */
  readonly where: string
  /** take the lease when free, expired, its holder dead, or already ours; else say who holds it */
  tryTake(me: LeaseRecord): Promise<{held: boolean; holder?: LeaseRecord}>
  /** extend our lease, conditional on it still being exactly the one we wrote; `lost`: somebody else has it */
  renew(me: LeaseRecord): Promise<RenewResult>
  /** give it up (only if still ours) */
  release(me: LeaseRecord): Promise<void>
}

/** One schedule's record in the shared document: the last slot fired (never fired again) and the last run. */
export interface ScheduleRecord {
  /** ISO time of the last slot fired by any server */
  slot?: string
  /** the last run skipped because the previous one still ran */
  skipped?: {jobId: string; at: string; slot?: string; reason: string}
  last?: {jobId: string; state: string; at: string; slot?: string; by: 'schedule' | 'cli' | 'api'; exitCode?: number}
}

export interface SchedulesDoc {
  version: 1
  schedules: Record<string, ScheduleRecord>
}

/** The shared schedule document: read it, or change it with a read-modify-write that loses no concurrent update. */
export interface SharedScheduleState {
  readonly where: string
  read(): Promise<SchedulesDoc>
  /** `change` returns undefined to leave the document as it is (nothing is written) */
  update(change: (doc: SchedulesDoc) => SchedulesDoc | undefined): Promise<SchedulesDoc>
}

export const emptyDoc = (): SchedulesDoc => ({version: 1, schedules: {}})

/** A document read back, or an empty one when it is missing or not one dops wrote (it is rewritten whole). */
export function parseDoc(text: string | undefined): SchedulesDoc {
  if (!text) return emptyDoc()
  try {
    const v = JSON.parse(text) as Partial<SchedulesDoc> | null
    if (v && v.version === 1 && v.schedules && typeof v.schedules === 'object' && !Array.isArray(v.schedules)) {
      const schedules: Record<string, ScheduleRecord> = Object.create(null) as Record<string, ScheduleRecord>
      for (const [k, r] of Object.entries(v.schedules)) if (r && typeof r === 'object') schedules[k] = r
      return {version: 1, schedules}
    }
  } catch {
    // not JSON: start again
  }
  return emptyDoc()
}

/** A lease record read back, or undefined when it is not one dops wrote. */
export function parseLease(text: string | undefined): LeaseRecord | undefined {
  if (!text) return undefined
  try {
    const v = JSON.parse(text) as Partial<LeaseRecord> | null
    if (v && typeof v.owner === 'string' && typeof v.instance === 'string' && typeof v.pid === 'number' && typeof v.expiresAt === 'string' && !Number.isNaN(Date.parse(v.expiresAt))) return v as LeaseRecord
  } catch {
    // not JSON
  }
  return undefined
}

export function newInstanceId(): string {
  return `${os.hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`
}

/** Our record, its expiry pushed `leaseMs` from now. */
export function freshRecord(instance: string, leaseMs: number, prev?: LeaseRecord): LeaseRecord {
  const now = Date.now()
  return {
    owner: `${os.hostname()}:${process.pid}`,
    instance,
    pid: process.pid,
    host: os.hostname(),
    acquiredAt: prev?.acquiredAt ?? new Date(now).toISOString(),
    expiresAt: new Date(now + leaseMs).toISOString(),
    n: (prev?.n ?? 0) + 1,
  }
}

/** A lease nobody holds any more: its time ran out, or its holder was a process of this machine that is gone. */
export function isStale(r: LeaseRecord, alive: (pid: number) => boolean, now = Date.now()): boolean {
  if (Date.parse(r.expiresAt) <= now) return true
  return r.host === os.hostname() && !alive(r.pid)
}
