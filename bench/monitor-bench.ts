/**
 * "Monitoring added", timed: a sandbox host is added (`scale web=+1`, node_exporter started by its bootstrap), and
 * the time from dops recording it ready (the target file written) to Prometheus showing its target `up` is
 * measured, round after round. The baseline, in the same invocation and against the same Prometheus: a target file
 * written by hand for an exporter already running, to `up`: Prometheus' own discovery plus one scrape, the floor any
 * tool has. dops's own part is the file write. Results: bench/results/monitor.md. As root: npm run bench:monitor
 */
import {writeFileSync, mkdtempSync, mkdirSync, readFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {envDown, envUp} from '../src/env/env-job.js'
import type {DopsEvent} from '../src/events.js'
import {startPrometheus} from '../test/monitor/prometheus.js'

const rounds = Number(process.argv.includes('--rounds') ? process.argv[process.argv.indexOf('--rounds') + 1] : '5')
const work = mkdtempSync(path.join(os.tmpdir(), 'dops-monitor-bench-'))
const targets = path.join(work, 'targets')
mkdirSync(targets)
writeFileSync(path.join(work, 'dops.yml'), `version: 1
project: monbench
providers:
  sandbox: {type: local}
monitoring:
  targets: {dir: ./targets}
  exporters: {node: 9100}
environments:
  local:
    groups:
      web:
        provider: sandbox
        instance: {count: 1}
        bootstrap:
          - run: setsid -f prometheus-node-exporter --web.listen-address="$DOPS_HOST_ADDRESS:9100" --collector.disable-defaults --collector.loadavg </dev/null >/dev/null 2>&1
`)
const source = {cwd: work, planFile: path.join(work, 'dops.yml'), env: 'local'}
const prom = await startPrometheus(path.join(work, 'prom'), targets, '  - job_name: baseline\n    file_sd_configs: [{files: [\'' + path.join(work, 'baseline') + '/*.json\'], refresh_interval: 1s}]\n')
mkdirSync(path.join(work, 'baseline'))
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

async function upAt(job: string, host: string, since: number): Promise<number> {
  for (let i = 0; i < 600; i++) {
    const t = await prom.targets()
    if (t.some((x) => x.labels.job === job && (x.labels.host === host || x.labels.instance === host) && x.health === 'up')) return performance.now() - since
    await new Promise((r) => setTimeout(r, 20))
  }
  throw new Error(`${host} never up`)
}

const dopsMs: number[] = []
const writeMs: number[] = []
const baseMs: number[] = []
try {
  const first = await envUp({source, connection: {}, yes: true})
  if (first.exitCode) throw new Error(`env up exited ${first.exitCode}`)
  const state = () => JSON.parse(readFileSync(path.join(work, '.dops/state/monbench-local.json'), 'utf8')) as {groups: {web: {instances: Array<{name: string; address: string}>}}}
  for (let i = 0; i < rounds; i++) {
    const before = new Set(state().groups.web.instances.map((h) => h.name))
    let written = 0
    let wrote = 0
    const reporter = (e: DopsEvent) => {
      if (e.type === 'env.step' && e.phase === 'monitoring' && /target\(s\) written/.test(e.text)) {
        written = performance.now()
        wrote = e.ms ?? 0
      }
    }
    const r = await envUp({source, connection: {}, yes: true, scale: {web: before.size + 1}, reporter})
    if (r.exitCode) throw new Error(`scale exited ${r.exitCode}`)
    const added = state().groups.web.instances.find((h) => !before.has(h.name))!
    dopsMs.push(await upAt('dops', added.name, written))
    writeMs.push(wrote)
    // the baseline: the same kind of target, written by hand, for an exporter already running (the first host's)
    const file = path.join(work, 'baseline', `b${i}.json`)
    const addr = `${state().groups.web.instances[0]!.address}:9100`
    const t0 = performance.now()
    writeFileSync(file, JSON.stringify([{targets: [addr], labels: {round: String(i)}}]))
    baseMs.push(await upAt('baseline', addr, t0))
    writeFileSync(file, '[]')
    process.stderr.write(`round ${i + 1}: host ready → up ${dopsMs.at(-1)!.toFixed(0)} ms (dops's write ${wrote.toFixed(1)} ms); baseline file → up ${baseMs.at(-1)!.toFixed(0)} ms\n`)
  }
} finally {
  await envDown({source, connection: {}, yes: true}).catch((e: Error) => process.stderr.write(`env down: ${e.message}\n`))
  await prom.stop()
}
const lines = [
  '# dops monitoring benchmark: a host added, to its target `up` in Prometheus',
  '',
  `${new Date().toISOString()} on ${os.cpus().length} cores, Node ${process.version}; ${rounds} rounds; medians. Prometheus 2.42 with scrape_interval 1s and file_sd refresh_interval 1s.`,
  '',
  '| measure | ms |',
  '|---|---|',
  `| dops: host ready (target file written) → target up | ${med(dopsMs).toFixed(0)} |`,
  `| baseline: a target file written by hand → target up | ${med(baseMs).toFixed(0)} |`,
  `| ratio dops / baseline | ${(med(dopsMs) / med(baseMs)).toFixed(2)} |`,
  `| dops's part: writing the group's target file (after the state) | ${med(writeMs).toFixed(1)} |`,
]
mkdirSync(path.join(import.meta.dirname, 'results'), {recursive: true})
writeFileSync(path.join(import.meta.dirname, 'results', 'monitor.md'), lines.join('\n') + '\n')
process.stdout.write(lines.join('\n') + '\n')
