/**
 * Wait until new hosts answer SSH (a login and `true`), bounded by a deadline: a cloud instance is "running" well
 * before its sshd is up and its key installed. Unreachable and authentication failures are retried every 2 s until
 * the deadline; a host key that does not match is never retried (it is an answer, not a delay).
 */
import type {Host} from '../inventory/host.js'
import {ConnectError, type Transport} from '../transport/types.js'

export interface WaitResult {
  host: string
  ok: boolean
  attempts: number
  error?: string
}

export async function waitForSsh(transport: Transport, hosts: Host[], timeoutMs: number, intervalMs = 2000): Promise<WaitResult[]> {
  const deadline = Date.now() + timeoutMs
  const maxAttempts = Math.max(1, Math.ceil(timeoutMs / intervalMs) + 1)
  return Promise.all(
    hosts.map(async (h) => {
      let last = ''
      let attempt = 0
      while (attempt < maxAttempts) {
        attempt++
        try {
          const r = await (await transport.connect(h)).exec('true', {deadlineMs: Math.max(1000, Math.min(30_000, deadline - Date.now()))})
          if (r.exitCode === 0) return {host: h.name, ok: true, attempts: attempt}
          last = `\`true\` exited with ${r.exitCode}`
        } catch (e) {
          last = (e as Error).message
          if (e instanceof ConnectError && (e.kind === 'hostkey' || e.kind === 'config')) return {host: h.name, ok: false, attempts: attempt, error: last}
        }
        if (Date.now() + intervalMs > deadline) break
        await new Promise((r) => setTimeout(r, intervalMs))
      }
      return {host: h.name, ok: false, attempts: attempt, error: `no SSH login within ${Math.round(timeoutMs / 1000)} s: ${last}`}
    }),
  )
}
