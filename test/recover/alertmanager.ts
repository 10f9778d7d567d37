/**
 * A real Alertmanager for tests: Debian's `prometheus-alertmanager` 0.25 on a free loopback port, no HA gossip, every
 * alert sent at once to one webhook with a bearer token. Stopped by `stop()` (only the process this started).
 */
import {existsSync, mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {freePort, startDaemon} from '../monitor/prometheus.js'

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
  const {stop} = await startDaemon('alertmanager', ALERTMANAGER, [`--config.file=${config}`, `--storage.path=${path.join(work, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=', '--log.level=warn'], url)
  return {url, port, stop}
}
