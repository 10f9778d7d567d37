/**
 * The open connections of this process that can be stopped at once: the second Ctrl-C kills the remote commands
 * they run and closes them (src/cli/base.ts). Kept apart from ssh.ts so the CLI can reach it without loading SSH.
 */

export interface Stoppable {
  /** kill what runs on the host over this connection, then close it */
  stop(): Promise<void>
}

const live = new Set<Stoppable>()

export function registerLive(s: Stoppable): () => void {
  live.add(s)
  return () => live.delete(s)
}

/** Stop every live connection; bounded by `deadlineMs` whatever the hosts do. */
export async function stopAllLive(deadlineMs = 1500): Promise<void> {
  const all = [...live].map((s) => s.stop().catch(() => undefined))
  let timer: NodeJS.Timeout | undefined
  await Promise.race([Promise.all(all), new Promise((r) => (timer = setTimeout(r, deadlineMs)))])
  clearTimeout(timer)
}
