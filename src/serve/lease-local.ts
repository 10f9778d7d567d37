/**
 * The serve lease with the local state backend: `.dops/serve/serve.lease` in the project, created complete and at
 * once (a private temporary file hard-linked to the name: the link fails if the lease exists), renewed and taken
 * over by an atomic rename while holding a guard file (`serve.lease.guard`, created the same way), so a takeover
 * replaces exactly the lease it judged stale (expired, or its process gone) and never one just renewed. The shared
 * schedule document `.dops/serve/schedules.json` beside it is changed under its own guard, written by a rename.
 */
import {randomBytes} from 'node:crypto'
import {link, mkdir, readFile, rename, rm, stat, writeFile} from 'node:fs/promises'
import {setTimeout as sleep} from 'node:timers/promises'
import path from 'node:path'
import {processAlive} from '../util/process.js'
import {isStale, parseDoc, parseLease, type LeaseBackend, type LeaseRecord, type RenewResult, type SchedulesDoc, type SharedScheduleState} from './lease-common.js'

/** a guard older than this was left by a process that died holding it */
const GUARD_STALE_MS = 10_000

const tmpName = (file: string) => `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`

/** Create `file` with `text`, complete, only if it does not exist. */
async function createWith(file: string, text: string): Promise<boolean> {
  await mkdir(path.dirname(file), {recursive: true})
  const tmp = tmpName(file)
  await writeFile(tmp, text, {mode: 0o600})
  try {
    await link(tmp, file)
    return true
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw e
  } finally {
    await rm(tmp, {force: true})
  }
}

/** Replace `file` with `text` at once. */
async function replaceWith(file: string, text: string): Promise<void> {
  const tmp = tmpName(file)
  await writeFile(tmp, text, {mode: 0o600})
  await rename(tmp, file)
}

const readText = (file: string): Promise<string | undefined> => readFile(file, 'utf8').catch(() => undefined)

/** Run `fn` holding `guard`; undefined when another holds it (a guard whose process died, or too old, is removed). */
async function withGuard<T>(guard: string, fn: () => Promise<T>, waitMs = 0): Promise<T | undefined> {
  const deadline = Date.now() + waitMs
  for (let attempt = 0; attempt < 1000; attempt++) {
    if (await createWith(guard, JSON.stringify({pid: process.pid, at: new Date().toISOString()}))) {
      try {
        return await fn()
      } finally {
        await rm(guard, {force: true})
      }
    }
    const info = (await readText(guard).then((t) => (t ? (JSON.parse(t) as {pid?: number}) : undefined)).catch(() => undefined)) ?? {}
    const age = await stat(guard).then((s) => Date.now() - s.mtimeMs, () => 0)
    if ((typeof info.pid === 'number' && !processAlive(info.pid)) || age > GUARD_STALE_MS) await rm(guard, {force: true})
    else if (Date.now() >= deadline) return undefined
    else await sleep(5)
  }
  return undefined
}

export class LocalLease implements LeaseBackend {
  readonly where: string
  private readonly guard: string

  constructor(projectDir: string) {
    this.where = path.join(projectDir, '.dops', 'serve', 'serve.lease')
    this.guard = `${this.where}.guard`
  }

  async tryTake(me: LeaseRecord): Promise<{held: boolean; holder?: LeaseRecord}> {
    if (await createWith(this.where, JSON.stringify(me))) return {held: true}
    const r = await withGuard(this.guard, async () => {
      const holder = parseLease(await readText(this.where))
      if (holder && holder.instance !== me.instance && !isStale(holder, processAlive)) return {held: false, holder}
      // ours, stale, unreadable, or just removed: it is ours now (the guard keeps every other writer out)
      await replaceWith(this.where, JSON.stringify(me))
      return {held: true}
    })
    return r ?? {held: false, holder: parseLease(await readText(this.where))}
  }

  async renew(me: LeaseRecord): Promise<RenewResult> {
    try {
      const r = await withGuard(this.guard, async () => {
        if (parseLease(await readText(this.where))?.instance !== me.instance) return 'lost' as const
        await replaceWith(this.where, JSON.stringify(me))
        return 'renewed' as const
      }, 200)
      return r ?? 'error'
    } catch {
      return 'error'
    }
  }

  async release(me: LeaseRecord): Promise<void> {
    await withGuard(this.guard, async () => {
      const holder = parseLease(await readText(this.where))
      if (holder?.instance === me.instance) await rm(this.where, {force: true})
    }, 500).catch(() => undefined)
  }
}

export class LocalScheduleState implements SharedScheduleState {
  readonly where: string

  constructor(projectDir: string) {
    this.where = path.join(projectDir, '.dops', 'serve', 'schedules.json')
  }

  async read(): Promise<SchedulesDoc> {
    return parseDoc(await readText(this.where))
  }

  async update(change: (doc: SchedulesDoc) => SchedulesDoc | undefined): Promise<SchedulesDoc> {
    await mkdir(path.dirname(this.where), {recursive: true})
    const r = await withGuard(`${this.where}.guard`, async () => {
      const before = parseDoc(await readText(this.where))
      const doc = change(before)
      if (!doc) return before
      await replaceWith(this.where, JSON.stringify(doc, null, 2))
      return doc
    }, 5000)
    if (!r) throw new Error(`${this.where}: another process kept it locked for 5 s`)
    return r
  }
}
