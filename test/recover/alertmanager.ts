/**
 * A real Alertmanager for tests: Debian's `prometheus-alertmanager` 0.25 on a free loopback port, no HA gossip, every
 * alert sent at once to one webhook with a bearer token. Stopped by `stop()` (only the process this started).
 */
import {spawn} from 'node:child_process'
import {existsSync, mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {freePort} from '../monitor/prometheus.js'

export const ALERTMANAGER = '/usr/bin/prometheus-alertmanager'
export const alertmanagerMissing = existsSync(ALERTMANAGER) ? undefined : `${ALERTMANAGER} is not installed (apt-get install prometheus-alertmanager; .ci/run does)`

export async function startAlertmanager(work: string, webhook: string, token: string): Promise<{url: string; port: number; stop: () => Promise<void>}> {
  mkdirSync(work, {recursive: true})
  const config = path.join(work, 'alertmanager.yml')
  writeFileSync(
    config,
    `route:
  receiver: dops
  group_by: [alertname, group]
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: dops
    webhook_configs:
      - url: ${webhook}
        http_config: {authorization: {credentials: ${JSON.stringify(token)}}}
`,
    {mode: 0o600},
  )
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const proc = spawn(ALERTMANAGER, [`--config.file=${config}`, `--storage.path=${path.join(work, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=', '--log.level=warn'], {stdio: ['ignore', 'ignore', 'pipe']})
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
    if (proc.exitCode !== null) throw new Error(`alertmanager exited ${proc.exitCode}: ${log}`)
    if (await fetch(`${url}/-/ready`).then((r) => r.ok, () => false)) return {url, port, stop}
    await new Promise((r) => setTimeout(r, 200))
  }
  await stop()
  throw new Error(`alertmanager not ready after 20 s: ${log}`)
}
