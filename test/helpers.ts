import {execFile} from 'node:child_process'
import path from 'node:path'

export const ROOT = path.resolve(import.meta.dirname, '..')
export const BIN = path.join(ROOT, 'bin', 'run.js')

export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

/** Run the built CLI as a user or a CI job would (no TTY). */
export function dops(args: string[], opts: {cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number} = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], {cwd: opts.cwd ?? ROOT, env: {...process.env, CI: 'true', ...opts.env}, timeout: opts.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024}, (err, stdout, stderr) => {
      const code = err ? (typeof (err as NodeJS.ErrnoException).code === 'number' ? ((err as unknown as {code: number}).code) : 1) : 0
      // killed at the helper's timeout: say so, with what the command printed until then (never an empty failure)
      if (err && (err as {killed?: boolean}).killed) stderr += `\n[test helper] \`dops ${args.join(' ')}\` did not finish within ${(opts.timeoutMs ?? 120_000) / 1000} s and was killed (${(err as {signal?: string}).signal ?? 'SIGTERM'})\n`
      resolve({code, stdout, stderr})
    })
  })
}

export function json<T = Record<string, unknown>>(r: CliResult): T {
  try {
    return JSON.parse(r.stdout) as T
  } catch {
    throw new Error(`stdout is not JSON (exit ${r.code}):\n${r.stdout}\n--- stderr:\n${r.stderr}`)
  }
}

/**
 * One GET on a new connection (as most clients through a balancer): a reload closing idle keep-alive connections
 * is then not mistaken for a dropped request. 5 s deadline.
 */
export async function httpGet(url: string): Promise<{status: number; body: string}> {
  const http = await import('node:http')
  return new Promise((resolve, reject) => {
    const req = http.get(url, {agent: false, timeout: 5000}, (res) => {
      let body = ''
      res.on('data', (d: Buffer) => (body += d))
      res.on('end', () => resolve({status: res.statusCode ?? 0, body}))
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(new Error('timed out')))
    req.on('error', reject)
  })
}
