/**
 * One change at a time to a local load balancer's configuration: in this process (a queue per load balancer host)
 * and across processes (an O_EXCL lock file in the host's directory naming its pid; a dead owner's is recovered).
 * A deploy's traffic control and an env command following membership may both change it.
 */
import {open, readFile, rm} from 'node:fs/promises'
import path from 'node:path'
import {processAlive} from '../../util/process.js'
import {dropStale} from '../../util/stale-lock.js'

const queues = new Map<string, Promise<unknown>>()

async function fileLock(file: string, timeoutMs: number): Promise<() => Promise<void>> {
  const until = Date.now() + timeoutMs
  for (let i = 0; ; i++) {
    try {
      const fh = await open(file, 'wx')
      await fh.write(String(process.pid))
      await fh.close()
      return () => rm(file, {force: true})
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
      const pid = Number((await readFile(file, 'utf8').catch(() => '')).trim())
      if (pid && pid !== process.pid && !processAlive(pid) && (await dropStaleLock(file))) continue
      if (Date.now() > until || i > 100_000) throw new Error(`the load balancer's configuration is being changed by process ${pid || '?'} (${file}); gave up after ${Math.round(timeoutMs / 1000)} s`)
      await new Promise((r) => setTimeout(r, 50))
    }
  }
}

/** A dead owner's lock file, removed under a takeover lock (src/util/stale-lock.ts). */
export const dropStaleLock = (file: string) => dropStale(file, (pid) => pid !== process.pid && !processAlive(pid))

/** Run `fn` holding the lock of the load balancer host whose directory is `dir`. */
export function withLbLock<T>(dir: string, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  const prev = queues.get(dir) ?? Promise.resolve()
  const run = prev.catch(() => undefined).then(async () => {
    const release = await fileLock(path.join(dir, 'lb.lock'), timeoutMs)
    try {
      return await fn()
    } finally {
      await release()
    }
  })
  queues.set(dir, run)
  void run.finally(() => {
    if (queues.get(dir) === run) queues.delete(dir)
  }).catch(() => undefined)
  return run
}
