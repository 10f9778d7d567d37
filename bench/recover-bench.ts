/**
 * Recovery from a real alert, timed, on the local sandbox: three web hosts running the example's app and
 * node_exporter, Prometheus (scrape and rule evaluation every 1 s, `up == 0 for: 2s`), Alertmanager (`group_wait:
 * 0s`) posting to dops's receiver. Each round kills one web host (its sandbox process) and measures: kill → the
 * alert delivered to dops; delivery → the replacement deployed and healthy (the job's end); delivery → the new host
 * `up` in Prometheus and serving HTTP (dops's own part); kill → recovered (end to end). Then scale rounds: an alert
 * posted to Alertmanager → the new host serving. Results: bench/results/recover.md. As root: node --import tsx bench/recover-bench.ts [--rounds N]
 */
import {cpSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {envDown, envUp} from '../src/env/env-job.js'
import {monitorRules} from '../src/monitor/rules.js'
import type {Decision} from '../src/recover/types.js'
import {startPrometheus} from '../test/monitor/prometheus.js'
import {startAlertmanager} from '../test/recover/alertmanager.js'
import {READ_TOKEN, startServer} from '../test/recover/server.js'

const rounds = Number(process.argv.includes('--rounds') ? process.argv[process.argv.indexOf('--rounds') + 1] : '5')
const ROOT = path.resolve(import.meta.dirname, '..')
const work = mkdtempSync(path.join(os.tmpdir(), 'dops-recover-bench-'))
cpSync(path.join(ROOT, 'examples/local/app'), path.join(work, 'app'), {recursive: true})
const planFile = path.join(work, 'dops.yml')
writeFileSync(planFile, `version: 1
project: recbench
providers:
  sandbox: {type: local}
monitoring:
  targets: {dir: ./targets}
  exporters: {node: 9100}
apps:
  web:
    source: ./app
    healthCheck: {http: "http://$DOPS_HOST_ADDRESS:8000/", retries: 10, interval: 200ms}
environments:
  local:
    automation: {grace: 1s, cooldown: 1s, budget: 100, replaces: 100}
    groups:
      web:
        provider: sandbox
        instance: {count: 3}
        apps: [web]
        bootstrap:
          - run: setsid -f prometheus-node-exporter --web.listen-address="$DOPS_HOST_ADDRESS:9100" --collector.disable-defaults --collector.loadavg </dev/null >/dev/null 2>&1
        on:
          alert:
            InstanceDown: {action: replace, expr: 'up{$selector, exporter="node"} == 0', for: 2s}
            HighLoad: {action: scale, by: '+1'}
`)
const source = {cwd: work, planFile, env: 'local'}
const TOKEN = 'bench-alertmanager-token'
type Inst = {name: string; address: string; data: {pid: number}}
const hosts = (): Inst[] => (JSON.parse(readFileSync(path.join(work, '.dops/state/recbench-local.json'), 'utf8')) as {groups: {web: {instances: Inst[]}}}).groups.web.instances
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

const up = await envUp({source, connection: {}, yes: true})
if (up.exitCode !== 0) throw new Error(`env up failed (${up.exitCode})`)
await monitorRules({cwd: work, planFile, out: path.join(work, 'prom/rules.yml')})
const server = await startServer(work, planFile, TOKEN)
const am = await startAlertmanager(path.join(work, 'am'), `${server.url}/hooks/alertmanager`, TOKEN)
const prom = await startPrometheus(path.join(work, 'prom'), path.join(work, 'targets'), `rule_files: ['${path.join(work, 'prom/rules.yml')}']\nalerting:\n  alertmanagers:\n    - static_configs: [{targets: ['127.0.0.1:${am.port}']}]\n`)
const decisions = async () => ((await (await fetch(`${server.url}/recovery?limit=1000`, {headers: {authorization: `Bearer ${READ_TOKEN}`}})).json()) as {decisions: Array<Decision & {ended?: Decision}>}).decisions
async function poll<T>(what: string, f: () => Promise<T | undefined>, ms = 120_000): Promise<T> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    const v = await f().catch(() => undefined)
    if (v !== undefined) return v
    await sleep(20)
  }
  throw new Error(`${what}: not after ${ms} ms`)
}
/** a host of the state up in Prometheus and serving the app */
const serving = async (h: Inst) => {
  const t = (await prom.targets()).find((x) => x.labels.instance === `${h.address}:9100` && x.labels.host === h.name)
  return t?.health === 'up' && (await fetch(`http://${h.address}:8000/`).then((r) => r.ok, () => false)) ? true : undefined
}

const rows: Array<{alert: number; job: number; dops: number; total: number}> = []
const scaleMs: number[] = []
try {
  for (const h of hosts()) await poll(`${h.name} up`, () => serving(h))
  for (let r = 1; r <= rounds; r++) {
    const victim = hosts()[0]!
    const seen = new Set((await decisions()).map((d) => d.id))
    const pids = new Set(hosts().map((h) => h.data.pid))
    const killed = Date.now()
    process.kill(victim.data.pid, 'SIGKILL')
    const d = await poll('the alert acted on', async () => (await decisions()).find((x) => !seen.has(x.id) && x.host === victim.name && x.outcome === 'acted'))
    const received = Date.parse(d.at) - (d.timings?.decideMs ?? 0)
    const ended = await poll('the replace job ends', async () => (await decisions()).find((x) => x.id === d.id)?.ended)
    if (ended.outcome !== 'succeeded') throw new Error(`round ${r}: ${ended.reason}`)
    const fresh = hosts().find((h) => !pids.has(h.data.pid))
    if (!fresh) throw new Error(`round ${r}: no new host in the state`)
    await poll('the new host serving', () => serving(fresh))
    const now = Date.now()
    rows.push({alert: received - killed, job: ended.timings?.totalMs ?? NaN, dops: now - received, total: now - killed})
    process.stderr.write(`round ${r}: ${JSON.stringify(rows.at(-1))}\n`)
    await sleep(1500)
  }
  for (let r = 1; r <= Math.min(3, rounds); r++) {
    const before = hosts().length
    const seen = new Set((await decisions()).map((d) => d.id))
    await fetch(`${am.url}/api/v2/alerts`, {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify([{labels: {alertname: 'HighLoad', project: 'recbench', env: 'local', group: 'web', round: String(r)}, startsAt: new Date().toISOString()}])})
    const d = await poll('the scale acted on', async () => (await decisions()).find((x) => !seen.has(x.id) && x.alert === 'HighLoad' && x.outcome === 'acted'))
    const received = Date.parse(d.at) - (d.timings?.decideMs ?? 0)
    await poll('the scale ends', async () => (await decisions()).find((x) => x.id === d.id)?.ended)
    if (hosts().length !== before + 1) throw new Error(`scale round ${r}: ${hosts().length} hosts`)
    await poll('the new host serving', () => serving(hosts().at(-1)!))
    scaleMs.push(Date.now() - received)
    await sleep(1500)
  }
} finally {
  await prom.stop()
  await am.stop()
  await server.close()
  await envDown({source, connection: {}, yes: true})
}
const text = `# dops recovery benchmark: a host killed, to its replacement serving

${new Date().toISOString()} on ${os.cpus().length} cores, Node ${process.version}; ${rows.length} rounds; medians. Local sandbox, 3 web hosts
(the example's app and node_exporter), Prometheus 2.42 (scrape and evaluation 1 s, rule \`up == 0\` for 2s),
Alertmanager 0.25 (group_wait 0s), dops's receiver on 127.0.0.1.

| measure | ms |
|---|---|
| host killed → alert delivered to dops (Prometheus + Alertmanager) | ${med(rows.map((x) => x.alert))} |
| dops: delivery → replacement deployed and healthy (job end) | ${med(rows.map((x) => x.job))} |
| dops: delivery → replacement \`up\` in Prometheus and serving | ${med(rows.map((x) => x.dops))} |
| host killed → recovered (end to end) | ${med(rows.map((x) => x.total))} |
| scale alert: delivery → new host \`up\` in Prometheus and serving (${scaleMs.length} rounds) | ${scaleMs.length ? med(scaleMs) : '-'} |

Rounds (kill → alert, job, delivery → serving, kill → recovered): ${rows.map((x) => `${x.alert}/${x.job}/${x.dops}/${x.total}`).join(', ')}
`
writeFileSync(path.join(ROOT, 'bench/results/recover.md'), text)
process.stdout.write(text)
