/**
 * Take over a lock or claim file whose owner is gone: remove it under a takeover lock (a directory), reading the owner
 * again there. Two processes that both saw the dead owner would otherwise both remove the file, the second one the
 * first one's new lock. A takeover lock left by a process killed while holding it goes after 30 s.
 */
import {mkdir, readFile, rm, stat} from 'node:fs/promises'

/** `gone(pid)`: is the owner named in the file gone? Returns whether the file was removed. */
export async function dropStale(file: string, gone: (pid: number) => boolean | Promise<boolean>): Promise<boolean> {
  const guard = `${file}.takeover`
  try {
    await mkdir(guard)
  } catch {
    const made = (await stat(guard).catch(() => undefined))?.mtimeMs
    if (made !== undefined && Date.now() - made > 30_000) await rm(guard, {recursive: true, force: true})
    return false
  }
  try {
    // an empty file is a lock being written: not stale
    const pid = Number((await readFile(file, 'utf8').catch(() => '0')).trim())
    if (!pid || !(await gone(pid))) return false
    await rm(file, {force: true})
    return true
  } finally {
    await rm(guard, {recursive: true, force: true})
  }
}
