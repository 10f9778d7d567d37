/**
 * A real Prometheus for tests: Debian's `prometheus` on a free loopback port, scraping every second the file_sd
 * targets of one directory (re-read every second), with its data in the test's directory. Stopped by `stop()`
 * (only the process this started).
 */
import {spawn, type ChildProcess} from 'node:child_process'
import {existsSync, mkdirSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:net'
import path from 'node:path'

export const PROMETHEUS = '/usr/bin/prometheus'
export const prometheusMissing = existsSync(PROMETHEUS) ? undefined : `${PROMETHEUS} is not installed (apt-get install prometheus; .ci/run does)`

export interface ActiveTarget {
  labels: Record<string, string>
  scrapeUrl: string
  health: 'up' | 'down' | 'unknown'
  lastError: string
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as {port: number}).port
      s.close(() => resolve(port))
    })
  })
}

export async function startPrometheus(work: string, targetsDir: string, extra = ''): Promise<{url: string; proc: ChildProcess; targets: () => Promise<ActiveTarget[]>; stop: () => Promise<void>}> {
  mkdirSync(work, {recursive: true})
  const config = path.join(work, 'prometheus.yml')
  writeFileSync(config, `global: {scrape_interval: 1s, scrape_timeout: 900ms, evaluation_interval: 1s}
scrape_configs:
  - job_name: dops
    file_sd_configs:
      - files: ['${targetsDir}/dops_*.json']
        refresh_interval: 1s
${extra}`)
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const {proc, stop} = await startDaemon('prometheus', PROMETHEUS, [`--config.file=${config}`, `--storage.tsdb.path=${path.join(work, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn', '--web.enable-lifecycle'], url)
  const targets = async () => {
    const r = (await (await fetch(`${url}/api/v1/targets?state=active`)).json()) as {data: {activeTargets: ActiveTarget[]}}
    return r.data.activeTargets
  }
  return {url, proc, targets, stop}
}

/**
 * Start a daemon of this test (Prometheus, Alertmanager) and wait until `${url}/-/ready` answers (20 s at most).
 * `stop()` ends only that process: SIGTERM, then SIGKILL after 5 s.
 */
export async function startDaemon(name: string, bin: string, args: string[], url: string): Promise<{proc: ChildProcess; stop: () => Promise<void>}> {
  const proc = spawn(bin, args, {stdio: ['ignore', 'ignore', 'pipe']})
  let log = ''
  proc.stderr!.on('data', (b: Buffer) => (log = (log + b.toString()).slice(-4000)))
  const stop = async () => {
    if (proc.exitCode !== null || proc.signalCode) return
    const gone = new Promise((r) => proc.once('exit', r))
    proc.kill('SIGTERM')
    await Promise.race([gone, new Promise((r) => setTimeout(r, 5000))])
    if (proc.exitCode === null && !proc.signalCode) proc.kill('SIGKILL')
  }
  for (let i = 0; i < 100; i++) {
    if (proc.exitCode !== null) throw new Error(`${name} exited ${proc.exitCode}: ${log}`)
    if (await fetch(`${url}/-/ready`).then((r) => r.ok, () => false)) return {proc, stop}
    await new Promise((r) => setTimeout(r, 200))
  }
  await stop()
  throw new Error(`${name} not ready after 20 s: ${log}`)
}

/** Poll until `check` returns a value (or the time is up: then its last answer is thrown). */
export async function until<T>(what: string, check: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms
  let last: unknown
  while (Date.now() < end) {
    try {
      const v = await check()
      if (v !== undefined) return v
    } catch (e) {
      last = e
    }
    await new Promise((r) => setTimeout(r, 250))
  }
  throw new Error(`${what}: not so after ${ms} ms${last ? ` (${(last as Error).message})` : ''}`)
}
