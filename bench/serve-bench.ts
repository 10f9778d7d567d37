/**
 * `dops serve` benchmark: `GET /envs/ENV` latency (p50/p99) with 50 concurrent keep-alive clients on a 10-host
 * environment served from its state file and deployment records (no host is contacted); `dops serve` start-up to its
 * first answer; and `dops --version` start-up as the baseline, in the same invocation. Results: bench/results/serve.md.
 * Needs no sandbox (the state names 10 hosts that are never asked). Run: node --import tsx bench/serve-bench.ts
 *   [--rounds 5] [--clients 50] [--requests 100] (requests per client)
 */
import {spawn, spawnSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'

const arg = (name: string, def: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1]! : def)
const rounds = Number(arg('--rounds', '5'))
const clients = Number(arg('--clients', '50'))
const perClient = Number(arg('--requests', '100'))
const root = path.resolve(import.meta.dirname, '..')
const bin = path.join(root, 'bin/run.js')
const token = 'bench-token-0123456789abcdef-bench'
const work = mkdtempSync(path.join(os.tmpdir(), 'dops-serve-bench-'))

// a plan with one 10-host group on the local provider, its state, and 20 deployment records of those hosts
writeFileSync(path.join(work, 'dops.yml'), ['version: 1', 'project: servebench', 'providers:', '  sandbox: {type: local}', 'apps:', '  web: {source: ./app}', 'environments:', '  prod:', '    groups:', '      web:', '        provider: sandbox', '        instance: {count: 10}', '        labels: {tier: front}', '        apps: [web]', ''].join('\n'))
const now = new Date().toISOString()
const hosts = Array.from({length: 10}, (_, i) => `web-${i + 1}`)
mkdirSync(path.join(work, '.dops/state'), {recursive: true})
writeFileSync(path.join(work, '.dops/state/servebench-prod.json'), JSON.stringify({version: 1, project: 'servebench', env: 'prod', groups: {web: {provider: 'local', instances: hosts.map((name, i) => ({id: name, name, address: `127.0.250.${i + 2}`, port: 22, user: 'root', createdAt: now, ready: true, data: {}}))}}}))
mkdirSync(path.join(work, '.dops/deployments'), {recursive: true})
for (let d = 0; d < 20; d++) {
  const id = `d-20260101-0000${String(d).padStart(2, '0')}-abcdef`
  const results = hosts.map((host) => ({host, address: host, group: 'web', batch: 1, exitCode: 0, stdout: '', stderr: '', durationMs: 100, status: 'ok', revision: `rev${d}`, uploaded: true, switched: true, changed: true, conflicts: [], events: [{event: 'Install', from: 'current', status: 'ok', scripts: [], ms: 12}]}))
  writeFileSync(path.join(work, `.dops/deployments/${id}.json`), JSON.stringify({version: 1, kind: 'deploy', deploymentId: id, project: 'servebench', env: 'prod', app: 'web', revision: {id: `rev${d}`, source: 'working tree'}, status: 'succeeded', exitCode: 0, plan: {}, results, summary: {total: 10, ok: 10}, startedAt: `2026-01-01T00:00:${String(d).padStart(2, '0')}.000Z`, durationMs: 1000}))
}
const env = {...process.env, CI: 'true', NO_COLOR: '1', DOPS_TOKENS: `${token}:read`}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]!

function versionMs(): number {
  const t0 = performance.now()
  const r = spawnSync(process.execPath, [bin, '--version'], {cwd: work, env, encoding: 'utf8'})
  if (r.status !== 0) throw new Error(`dops --version exited ${r.status}: ${r.stderr}`)
  return performance.now() - t0
}

/** spawn `dops serve`, poll until /health answers: the time to the first answer, and the running server */
async function startServer(): Promise<{ms: number; url: string; stop: () => Promise<void>}> {
  const t0 = performance.now()
  const child = spawn(process.execPath, [bin, 'serve', '--listen', '127.0.0.1:0', '--json'], {cwd: work, env})
  let err = ''
  child.stderr.on('data', (d: Buffer) => (err += d))
  const url = await new Promise<string>((resolve, reject) => {
    let out = ''
    child.stdout.on('data', (d: Buffer) => {
      out += d
      if (out.includes('\n')) resolve((JSON.parse(out.split('\n')[0]!) as {url: string}).url)
    })
    child.on('exit', (code) => reject(new Error(`dops serve exited ${code}: ${err}`)))
  })
  const r = await fetch(`${url}/health`)
  if (r.status !== 200) throw new Error(`/health answered ${r.status}`)
  const ms = performance.now() - t0
  const exited = new Promise((resolve) => child.on('exit', resolve))
  return {ms, url, stop: async () => void (child.kill('SIGTERM'), await exited)}
}

async function latency(url: string, route = '/envs/prod'): Promise<{all: number[]; first: number; rps: number}> {
  // node:http with keep-alive (one connection per client): a lighter client than fetch, so the figures are the server's
  const agent = new http.Agent({keepAlive: true, maxSockets: clients})
  const get = () =>
    new Promise<number>((resolve, reject) => {
      const t0 = performance.now()
      http
        .get(`${url}${route}`, {agent, headers: {authorization: `Bearer ${token}`}}, (res) => {
          let text = ''
          res.on('data', (d: Buffer) => (text += d))
          res.on('end', () => {
            const body = JSON.parse(text) as {ok?: boolean; groups?: Array<{hosts: unknown[]}>}
            if (res.statusCode !== 200 || (body.groups?.[0]?.hosts.length !== 10 && !body.ok)) reject(new Error(`GET /envs/prod: ${res.statusCode} ${text.slice(0, 300)}`))
            else resolve(performance.now() - t0)
          })
        })
        .on('error', reject)
    })
  const first = await get()
  for (let i = 0; i < 200; i++) await get()
  const all: number[] = []
  const t0 = performance.now()
  await Promise.all(Array.from({length: clients}, async () => {
    for (let i = 0; i < perClient; i++) all.push(await get())
  }))
  const rps = all.length / ((performance.now() - t0) / 1000)
  agent.destroy()
  return {all, first, rps}
}

const version: number[] = []
const startup: number[] = []
for (let i = 0; i < rounds; i++) {
  version.push(versionMs())
  const s = await startServer()
  startup.push(s.ms)
  await s.stop()
}
const s = await startServer()
const lat = await latency(s.url)
const floor = await latency(s.url, '/health')
await s.stop()
const f = (ms: number) => `${ms.toFixed(1)} ms`
const lines = [
  '# dops serve benchmark',
  '',
  `${new Date().toISOString()} on ${os.cpus().length} cores (load average ${os.loadavg()[0]!.toFixed(1)} at the end), Node ${process.version}. A 10-host environment (local provider) served from its state file and 20 deployment records; no host is contacted.`,
  '',
  '| measure | value |',
  '|---|---|',
  `| GET /envs/prod, ${clients} concurrent clients x ${perClient} requests (keep-alive): p50 | ${f(pct(lat.all, 50))} |`,
  `| same: p99 (goal: under 50 ms) | ${f(pct(lat.all, 99))} |`,
  `| same: max; throughput | ${f(Math.max(...lat.all))}; ${lat.rps.toFixed(0)} requests/s |`,
  `| floor: GET /health (no auth, no files), same clients: p50 / p99 | ${f(pct(floor.all, 50))} / ${f(pct(floor.all, 99))} |`,
  `| first GET /envs/prod after start-up (plan, state and records read) | ${f(lat.first)} |`,
  `| dops serve: spawn to first answer of /health, median of ${rounds} (goal: under 1 s) | ${f(median(startup))} |`,
  `| dops --version: spawn to exit, median of ${rounds} (baseline; goal: under 300 ms) | ${f(median(version))} |`,
  `| ratio serve start-up / --version | ${(median(startup) / median(version)).toFixed(2)} |`,
  '',
]
rmSync(work, {recursive: true, force: true})
mkdirSync(path.join(root, 'bench/results'), {recursive: true})
writeFileSync(path.join(root, 'bench/results/serve.md'), lines.join('\n'))
process.stdout.write(lines.join('\n') + '\n')
