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
  const proc = spawn(PROMETHEUS, [`--config.file=${config}`, `--storage.tsdb.path=${path.join(work, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn', '--web.enable-lifecycle'], {stdio: ['ignore', 'ignore', 'pipe']})
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
    if (proc.exitCode !== null) throw new Error(`prometheus exited ${proc.exitCode}: ${log}`)
    const ok = await fetch(`${url}/-/ready`).then((r) => r.ok, () => false)
    if (ok) break
    if (i === 99) {
      await stop()
      throw new Error(`prometheus not ready after 20 s: ${log}`)
    }
    await new Promise((r) => setTimeout(r, 200))
  }
  const targets = async () => {
    const r = (await (await fetch(`${url}/api/v1/targets?state=active`)).json()) as {data: {activeTargets: ActiveTarget[]}}
    return r.data.activeTargets
  }
  return {url, proc, targets, stop}
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
