/**
 * One change at a time to a local load balancer's configuration: in this process (a queue per load balancer host)
 * and across processes (an O_EXCL lock file in the host's directory naming its pid; a dead owner's is recovered).
 * A deploy's traffic control and an env command following membership may both change it.
 */
import {mkdir, open, readFile, rm, stat} from 'node:fs/promises'
import path from 'node:path'
import {processAlive} from '../../util/process.js'

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
      if (pid && pid !== process.pid && !processAlive(pid) && (await dropStale(file))) continue
      if (Date.now() > until || i > 100_000) throw new Error(`the load balancer's configuration is being changed by process ${pid || '?'} (${file}); gave up after ${Math.round(timeoutMs / 1000)} s`)
      await new Promise((r) => setTimeout(r, 50))
    }
  }
}

/**
 * Remove a dead owner's lock file under a takeover lock (a directory), reading it again there: two processes that both
 * saw the dead pid would otherwise both remove it, the second one the first one's new lock. A takeover lock left by a
 * process killed while holding it goes after 30 s.
 */
export async function dropStale(file: string): Promise<boolean> {
  const guard = `${file}.takeover`
  try {
    await mkdir(guard)
  } catch {
    const made = (await stat(guard).catch(() => undefined))?.mtimeMs
    if (made !== undefined && Date.now() - made > 30_000) await rm(guard, {recursive: true, force: true})
    return false
  }
  try {
    const pid = Number((await readFile(file, 'utf8').catch(() => '0')).trim())
    if (!pid || pid === process.pid || processAlive(pid)) return false
    await rm(file, {force: true})
    return true
  } finally {
    await rm(guard, {recursive: true, force: true})
  }
}

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
