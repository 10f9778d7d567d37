/**
 * The deploy lock of an environment and app: a directory created atomically on the lock host (the first target host
 * by name), holding its owner, the deployment and a lease. Held until the last hook (and any rollback) is done,
 * renewed while the deployment runs; an expired lease (a killed process) is taken over with a message saying whose
 * it was, and so, at once, is a lock whose holder is proven dead: a process of this machine that is gone
 * (lock-owner.ts); `steal` takes a live one on purpose; `wait` polls until it is free.
 */
import os from 'node:os'
import {DopsError, ExitCode} from '../errors.js'
import {deadLocalHolder, selfIdentity, type ProcessIdentity} from './lock-owner.js'
import {shQuote} from '../transport/remote-command.js'
import {ConnectError, type Connection} from '../transport/types.js'

export const LOCK_DIR = '/var/lib/dops/locks'

export interface LockOwner extends Partial<ProcessIdentity> {
  owner: string
  deployment: string
  acquiredAt: string
  expiresAt: number
}

export interface LockOptions {
  conn: Connection
  name: string
  deployment: string
  leaseSec?: number
  waitMs?: number
  steal?: boolean
  host: string
  /** run the lock commands through `sudo -n` (the app deploys with sudo: the login user cannot write LOCK_DIR) */
  sudo?: boolean
}

export interface HeldLock {
  takenOver?: LockOwner
  /** why it was taken over: its lease expired, or its holder is proven dead (the reason, as a phrase) */
  takenOverBecause?: string
  renew(): Promise<void>
  release(): Promise<void>
}

function ownerJson(deployment: string, leaseSec: number): string {
  const now = Math.floor(Date.now() / 1000)
  return JSON.stringify({owner: `${os.userInfo().username}@${os.hostname()} pid ${process.pid}`, deployment, acquiredAt: new Date().toISOString(), expiresAt: now + leaseSec, ...selfIdentity()} satisfies LockOwner)
}

export async function acquireLock(o: LockOptions): Promise<HeldLock> {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(o.name)) throw new Error(`invalid lock name ${o.name}`)
  const lease = o.leaseSec ?? 300
  const L = `${LOCK_DIR}/${o.name}`
  const q = shQuote
  const deadline = Date.now() + (o.waitMs ?? 0)
  const run = (cmd: string) => o.conn.exec(o.sudo ? `sudo -n sh -c ${q(cmd)}` : cmd)
  for (let attempt = 0; attempt < 100_000; attempt++) {
    const info = ownerJson(o.deployment, lease)
    const script = [
      `L=${q(L)}; mkdir -p ${q(LOCK_DIR)} || exit 4`,
      o.steal ? 'rm -rf "$L"' : ':',
      `if mkdir "$L" 2>/dev/null; then printf '%s' ${q(info)} > "$L/owner" || exit 4; echo acquired; exit 0; fi`,
      // not there after a failed mkdir: it is not held, it cannot be made (say why, on stderr)
      '[ -d "$L" ] || { mkdir "$L"; exit 4; }',
      `exp=$(sed -n 's/.*"expiresAt":\\([0-9]*\\).*/\\1/p' "$L/owner" 2>/dev/null)`,
      `if [ -n "$exp" ] && [ "$exp" -lt "$(date +%s)" ] && mkdir "$L.takeover" 2>/dev/null; then old=$(cat "$L/owner"); printf '%s' ${q(info)} > "$L/owner"; rmdir "$L.takeover"; echo expired; printf '%s\\n' "$old"; exit 0; fi`,
      'echo held; cat "$L/owner" 2>/dev/null; exit 3',
    ].join('\n')
    const r = await run(script)
    const [first, ...rest] = r.stdout.trim().split('\n')
    let word = first
    let because: string | undefined
    if (word === 'held') {
      // a holder proven dead (a process of this machine that is gone) is taken over now, if the lock still names it
      const text = rest.join('\n')
      because = deadLocalHolder(parse(text))
      if (because) {
        const t = await run(`L=${q(L)}; if mkdir "$L.takeover" 2>/dev/null; then if [ "$(cat "$L/owner" 2>/dev/null)" = ${q(text)} ]; then printf '%s' ${q(info)} > "$L/owner" || { rmdir "$L.takeover"; exit 4; }; rmdir "$L.takeover"; echo dead; exit 0; fi; rmdir "$L.takeover"; fi; echo changed`)
        if (t.stdout.trim() === 'dead') word = 'dead'
        else if (t.stdout.trim() === 'changed') continue
      }
    }
    if (word === 'acquired' || word === 'expired' || word === 'dead') {
      const takenOver = word === 'acquired' ? undefined : parse(rest.join('\n'))
      return {
        takenOver,
        takenOverBecause: word === 'dead' ? because : word === 'expired' && takenOver ? `lease expired ${new Date(takenOver.expiresAt * 1000).toISOString()}` : undefined,
        renew: async () => {
          await run(`grep -q ${q(`"deployment":"${o.deployment}"`)} ${q(L + '/owner')} && printf '%s' ${q(ownerJson(o.deployment, lease))} > ${q(L + '/owner')}`)
        },
        release: async () => {
          await run(`grep -q ${q(`"deployment":"${o.deployment}"`)} ${q(L + '/owner')} 2>/dev/null && rm -rf ${q(L)}`)
        },
      }
    }
    if (word !== 'held') {
      const why = r.stderr.trim() || r.stdout.trim() || `exit ${r.exitCode}`
      const hint = /permission denied/i.test(why) && !o.sudo ? `; the login user cannot write ${LOCK_DIR}: set \`sudo: true\` on the app (passwordless sudo), or deploy as root` : /a password is required|sudo:/i.test(why) ? '; sudo needs to work without a password (NOPASSWD) for the login user' : ''
      throw new DopsError('LOCK_ERROR', `cannot take the deploy lock on ${o.host}: ${why}${hint}; nothing was changed`, {exitCode: ExitCode.DEPLOY_LOCKED})
    }
    const holder = parse(rest.join('\n'))
    if (Date.now() >= deadline) {
      const who = holder ? `${holder.owner}, deployment ${holder.deployment}, since ${holder.acquiredAt}, lease until ${new Date(holder.expiresAt * 1000).toISOString()}` : 'an unknown owner'
      throw new DopsError('LOCKED', `the deploy lock ${o.name} on ${o.host} is held by ${who}; wait with --wait 10m, or take it with --steal if that deployment is dead`, {exitCode: ExitCode.DEPLOY_LOCKED})
    }
    await new Promise((res) => setTimeout(res, Math.min(2000, Math.max(100, deadline - Date.now()))))
  }
  throw new DopsError('LOCKED', `the deploy lock ${o.name} stayed held`, {exitCode: ExitCode.DEPLOY_LOCKED})
}

/**
 * `acquireLock` on a host still to be connected to: a lock host that cannot be reached (or drops the connection while
 * the lock is taken) ends the deployment before anything changed, naming the host and why (exit 4).
 */
export async function acquireLockOn(connect: () => Promise<Connection>, o: Omit<LockOptions, 'conn'>): Promise<HeldLock> {
  try {
    return await acquireLock({...o, conn: await connect()})
  } catch (e) {
    if (e instanceof DopsError && !(e instanceof ConnectError)) throw e
    const why = (e as Error).message ?? String(e)
    throw new DopsError('LOCK_UNREACHABLE', `cannot take the deploy lock on ${o.host}: ${why}; nothing was changed (the lock lives on ${o.host}, the first of the app's hosts by name: bring it back, or remove it from the plan)`, {exitCode: ExitCode.NONE_SUCCEEDED, cause: e})
  }
}

function parse(text: string): LockOwner | undefined {
  try {
    return JSON.parse(text) as LockOwner
  } catch {
    return undefined
  }
}
