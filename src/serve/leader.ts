/**
 * Leadership among `dops serve` processes sharing one state backend: a lease in that backend (S3 object or local
 * file, see lease-s3.ts and lease-local.ts), taken when free or expired, renewed every third of its length while
 * held. This process leads only while its last renewal is recent enough: a failed renewal (somebody else holds it
 * now) ends leadership at once, and an unanswered one ends it before the lease can run out for the others.
 */
import {freshRecord, newInstanceId, type LeaseBackend, type LeaseRecord} from './lease-common.js'
import {sharedBackendOf} from './lease-backend.js'
import type {Leader} from './types.js'

export interface LeaderHandle extends Leader {
  /** stop renewing; `release: false` leaves the lease to run out (as a killed server would) */
  close(opts?: {release?: boolean}): Promise<void>
}

export interface LeaderOptions {
  projectDir: string
  planFile: string
  log: (line: string) => void
  /** lease length (default DOPS_SERVE_LEASE_MS or 30 s) */
  leaseMs?: number
  /** the backend (default: the plan's state backend) */
  backend?: LeaseBackend
}

export const DEFAULT_LEASE_MS = 30_000

export function leaseMsFrom(opt?: number): number {
  const fromEnv = Number(process.env.DOPS_SERVE_LEASE_MS)
  const ms = opt ?? (Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : DEFAULT_LEASE_MS)
  return Math.min(Math.max(Math.floor(ms), 300), 3_600_000)
}

export async function openLeader(p: LeaderOptions): Promise<LeaderHandle> {
  const leaseMs = leaseMsFrom(p.leaseMs)
  const backend = p.backend ?? (await sharedBackendOf(p.projectDir, p.planFile)).lease
  const instance = newInstanceId()
  let mine: LeaseRecord | undefined
  /** we lead until then: a third of the lease before it runs out for the others */
  let validUntil = 0
  let other: LeaseRecord | undefined
  let closed = false
  let timer: NodeJS.Timeout | undefined
  let lastError = ''

  const lose = (why: string) => {
    if (mine) p.log(`serve: no longer the leader (${why}); schedules stop firing here`)
    mine = undefined
    validUntil = 0
  }
  const tick = async (): Promise<void> => {
    const started = Date.now()
    try {
      if (mine) {
        const next = freshRecord(instance, leaseMs, mine)
        const r = await backend.renew(next)
        if (r === 'renewed') {
          mine = next
          validUntil = started + leaseMs - Math.floor(leaseMs / 3)
        } else if (r === 'lost') lose(`the lease ${backend.where} was taken over`)
        else if (Date.now() >= validUntil) lose(`the lease ${backend.where} could not be renewed in time`)
      } else {
        const next = freshRecord(instance, leaseMs)
        const r = await backend.tryTake(next)
        if (r.held && !closed) {
          mine = next
          other = undefined
          validUntil = started + leaseMs - Math.floor(leaseMs / 3)
          p.log(`serve: leader now (lease ${backend.where}, ${leaseMs} ms)`)
        } else if (r.held) await backend.release(next)
        else other = r.holder
      }
      lastError = ''
    } catch (e) {
      const msg = (e as Error).message?.split('\n')[0] ?? String(e)
      if (msg !== lastError) p.log(`serve: lease ${backend.where}: ${msg}`)
      lastError = msg
      if (mine && Date.now() >= validUntil) lose('the lease could not be renewed in time')
    }
  }
  let inflight: Promise<void> = Promise.resolve()
  const period = Math.floor(leaseMs / 3)
  const loop = async () => {
    if (closed) return
    const started = Date.now()
    inflight = tick()
    await inflight
    // every third of the lease from the start of the last attempt, so a slow answer does not push the next one back
    if (!closed) timer = setTimeout(() => void loop(), Math.max(50, started + period - Date.now()))
  }
  await loop()

  const isLeader = () => !closed && !!mine && Date.now() < validUntil
  return {
    isLeader,
    holder: () => {
      if (isLeader()) return {owner: mine!.owner, expiresAt: mine!.expiresAt}
      return other && Date.parse(other.expiresAt) > Date.now() ? {owner: other.owner, expiresAt: other.expiresAt} : undefined
    },
    close: async (opts = {}) => {
      closed = true
      if (timer) clearTimeout(timer)
      await inflight
      const held = mine
      mine = undefined
      if (held && opts.release !== false) await backend.release(held).catch(() => undefined)
    },
  }
}
