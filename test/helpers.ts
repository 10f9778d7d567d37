import {execFile} from 'node:child_process'
import {mkdtempSync, readdirSync, readFileSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

export const ROOT = path.resolve(import.meta.dirname, '..')
export const BIN = path.join(ROOT, 'bin', 'run.js')

export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

/**
 * Run the built CLI as a user or a CI job would (no TTY). A command still running at `timeoutMs` is not a silent
 * failure: its open sockets and timers (a Node diagnostic report, taken just before it is stopped) are added to its
 * stderr, so the host and port it was waiting for are named; then SIGTERM, and SIGKILL 10 s later if it is still there.
 */
export function dops(args: string[], opts: {cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number} = {}): Promise<CliResult> {
  const timeoutMs = opts.timeoutMs ?? 120_000
  const reports = mkdtempSync(path.join(os.tmpdir(), 'dops-test-report-'))
  return new Promise((resolve) => {
    let late = ''
    const child = execFile(process.execPath, ['--report-on-signal', '--report-signal=SIGUSR2', `--report-directory=${reports}`, BIN, ...args], {cwd: opts.cwd ?? ROOT, env: {...process.env, CI: 'true', ...opts.env}, maxBuffer: 64 * 1024 * 1024}, (err, stdout, stderr) => {
      done = true
      clearTimeout(timer)
      clearTimeout(kill)
      rmSync(reports, {recursive: true, force: true})
      const code = err ? (typeof (err as NodeJS.ErrnoException).code === 'number' ? ((err as unknown as {code: number}).code) : 1) : 0
      resolve({code, stdout, stderr: stderr + late})
    })
    let done = false
    let kill: NodeJS.Timeout | undefined
    const timer = setTimeout(async () => {
      child.kill('SIGUSR2')
      await new Promise((r) => setTimeout(r, 2000))
      if (done) return
      late = `\n[test helper] \`dops ${args.join(' ')}\` did not finish within ${timeoutMs / 1000} s and was stopped (SIGTERM); ${waitingOn(reports)}\n`
      child.kill('SIGTERM')
      kill = setTimeout(() => child.kill('SIGKILL'), 10_000)
    }, timeoutMs)
  })
}

/** What a Node diagnostic report in `dir` says the process was waiting on: its open TCP connections and timers. */
function waitingOn(dir: string): string {
  const file = readdirSync(dir).find((f) => f.endsWith('.json'))
  try {
    return file ? summary(JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as Report) : 'it wrote no diagnostic report'
  } catch (e) {
    return `its diagnostic report could not be read (${(e as Error).message})`
  }
}

type Report = {libuv?: Array<{type: string; is_active?: boolean; remoteEndpoint?: {host: string; port: number}}>}

function summary(r: Report): string {
  const h = r.libuv ?? []
  const tcp = h.filter((x) => x.type === 'tcp' && x.remoteEndpoint).map((x) => `${x.remoteEndpoint!.host}:${x.remoteEndpoint!.port}`)
  const timers = h.filter((x) => x.type === 'timer' && x.is_active).length
  return `open connections: ${tcp.join(', ') || 'none'}; active timers: ${timers}`
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
