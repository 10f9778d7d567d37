/**
 * Distribution benchmark: a 20 MB revision to 50 sandbox hosts, AllAtOnce, with `distribution: push` (dops streams
 * the bundle to each host over SSH) and `distribution: pull` (dops uploads it once to the revision store, a moto
 * server here, and each host downloads it with curl from a pre-signed URL). Rounds alternate the modes; each round
 * deploys new content so the bundle really travels. Wall time of `dops deploy` and the client's upload volume:
 * push = the bundle bytes sent to each host that received it (from the deployment report); pull = the request bytes
 * that reached the store through a counting proxy (the client's upload plus the hosts' small GET requests).
 * Results: bench/results/distribution.md. Run by hand, as root (sandbox hosts), with moto_server installed:
 *   node --import tsx bench/distribution-bench.ts [--rounds 3] [--hosts 50]
 */
import {spawn} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync} from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import {startFleet} from '../test/fleet/fleet.js'
import {startMoto, TEST_CREDS} from '../test/env/moto.js'
import type {DeployReport} from '../src/deploy/deploy-job.js'

const arg = (n: string, d: string) => (process.argv.includes(n) ? process.argv[process.argv.indexOf(n) + 1]! : d)
const rounds = Number(arg('--rounds', '3'))
const N = Number(arg('--hosts', '50'))
const root = path.resolve(import.meta.dirname, '..')
const motoPort = 49000 + (process.pid % 1000)
const moto = await startMoto(motoPort)
let inBytes = 0
let outBytes = 0
const proxy = http.createServer((req, res) => {
  req.on('data', (c: Buffer) => (inBytes += c.length))
  const fwd = http.request({host: '127.0.0.1', port: motoPort, method: req.method, path: req.url, headers: req.headers}, (up) => {
    res.writeHead(up.statusCode ?? 502, up.headers)
    up.on('data', (c: Buffer) => (outBytes += c.length))
    up.pipe(res)
  })
  fwd.on('error', () => res.destroy())
  req.pipe(fwd)
})
await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r))
const store = `http://127.0.0.1:${(proxy.address() as {port: number}).port}`
const {S3Client, CreateBucketCommand} = await import('@aws-sdk/client-s3')
await new S3Client({region: 'us-east-1', endpoint: `http://127.0.0.1:${motoPort}`, credentials: TEST_CREDS, forcePathStyle: true}).send(new CreateBucketCommand({Bucket: 'dops-bench'}))
const fleet = await startFleet({count: N, prefix: 'd'})
const work = mkdtempSync(path.join(os.tmpdir(), 'dops-distribution-bench-'))
const home = mkdtempSync(path.join(os.tmpdir(), 'dops-bench-home-'))
const env = {...process.env, HOME: home, CI: 'true', NO_COLOR: '1', SSH_AUTH_SOCK: '', AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'us-east-1', AWS_EC2_METADATA_DISABLED: 'true', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true'}
const big = randomBytes(20 * 1024 * 1024)

function makeRevision(round: number): void {
  const dir = path.join(work, 'app')
  mkdirSync(path.join(dir, 'scripts'), {recursive: true})
  mkdirSync(path.join(dir, 'payload'), {recursive: true})
  writeFileSync(path.join(dir, 'payload', 'blob.bin'), big)
  writeFileSync(path.join(dir, 'payload', 'version.txt'), `round ${round} ${Date.now()}\n`)
  writeFileSync(path.join(dir, 'scripts', 'start.sh'), '#!/bin/sh\ntrue\n')
  chmodSync(path.join(dir, 'scripts', 'start.sh'), 0o755)
  writeFileSync(path.join(dir, 'appspec.yml'), 'version: 0.0\nos: linux\nfiles:\n  - source: payload\n    destination: /opt/app\nfile_exists_behavior: OVERWRITE\nhooks:\n  ApplicationStart:\n    - location: scripts/start.sh\n      timeout: 60\n')
}

function plan(mode: 'push' | 'pull', endpoint = `http://127.0.0.1:${motoPort}`): void {
  writeFileSync(path.join(work, 'dops.yml'), `version: 1\nproject: bench\nssh:\n  config: ${fleet.sshConfig}\nrevisions:\n  store: s3://dops-bench/revs\n  endpoint: ${endpoint}\napps:\n  app:\n    source: ./app\n    distribution: ${mode}\n    strategy: {preset: AllAtOnce}\nenvironments:\n  b:\n    groups:\n      g:\n        hosts: [${fleet.hosts.map((h) => h.name).join(', ')}]\n        apps: [app]\n`)
}

async function deploy(): Promise<{ms: number; report: DeployReport}> {
  const t0 = performance.now()
  const child = spawn(process.execPath, [path.join(root, 'bin/run.js'), 'deploy', '--json'], {cwd: work, env, stdio: ['ignore', 'pipe', 'pipe']})
  let out = ''
  let err = ''
  child.stdout.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)))
  const timer = setTimeout(() => child.kill('SIGTERM'), 900_000)
  const code = await new Promise<number | null>((r) => child.on('exit', r))
  clearTimeout(timer)
  const ms = performance.now() - t0
  if (code !== 0) throw new Error(`dops deploy exited ${code}: ${err}${out.slice(-1000)}`)
  return {ms, report: JSON.parse(out) as DeployReport}
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN
const res = {push: [] as number[], pull: [] as number[], pushBytes: [] as number[], pullBytes: [] as number[], pullDown: [] as number[]}
let bundleBytes = 0
try {
  for (let r = 0; r < rounds; r++) {
    for (const mode of r % 2 ? (['pull', 'push'] as const) : (['push', 'pull'] as const)) {
      makeRevision(r * 10 + (mode === 'push' ? 1 : 2))
      plan(mode)
      inBytes = outBytes = 0
      const {ms, report} = await deploy()
      const cache = path.join(work, '.dops', 'bundles')
      bundleBytes = statSync(path.join(cache, readdirSync(cache).find((f) => f.startsWith(report.revision.id) && f.endsWith('.tgz'))!)).size
      const received = report.results.filter((x) => x.uploaded).length
      if (mode === 'push') {
        res.push.push(ms)
        res.pushBytes.push(received * bundleBytes)
      } else res.pull.push(ms)
      process.stderr.write(`round ${r + 1} ${mode}: ${(ms / 1000).toFixed(2)}s, ${received} hosts received it, ${mode === 'push' ? `client upload ${((received * bundleBytes) / 1e6).toFixed(1)} MB` : 'hosts pulled it'}\n`)
    }
  }
  // the client's upload in pull mode: one more pull deployment through a counting proxy (its hop is not timed above)
  makeRevision(999)
  plan('pull', store)
  inBytes = outBytes = 0
  const counted = await deploy()
  res.pullBytes.push(inBytes)
  res.pullDown.push(outBytes)
  process.stderr.write(`counted pull: ${(counted.ms / 1000).toFixed(2)}s through the proxy, client upload ${(inBytes / 1e6).toFixed(1)} MB, hosts downloaded ${(outBytes / 1e6).toFixed(1)} MB\n`)
  const mb = (b: number) => (b / 1e6).toFixed(1)
  const lines = [
    '# dops distribution benchmark: push vs pull',
    '',
    `${new Date().toISOString()} on ${os.cpus().length} cores, Node ${process.version}; ${rounds} round(s), medians; ${N} sandbox hosts, AllAtOnce, a ${mb(bundleBytes)} MB bundle (20 MiB of random data), one trivial hook; the store is a moto server on loopback.`,
    '',
    '| mode | wall time (s) | client upload (MB) | store downloads (MB) |',
    '|---|---|---|---|',
    `| push (baseline: SSH to each host) | ${(median(res.push) / 1000).toFixed(2)} | ${mb(median(res.pushBytes))} | - |`,
    `| pull (one upload, hosts curl a pre-signed URL) | ${(median(res.pull) / 1000).toFixed(2)} | ${mb(res.pullBytes[0]!)} | ${mb(res.pullDown[0]!)} |`,
    '',
    `pull/push wall-time ratio: ${(median(res.pull) / median(res.push)).toFixed(2)}x; client upload ratio: ${(res.pullBytes[0]! / median(res.pushBytes)).toFixed(3)}x.`,
    '',
    'Push bytes: the bundle size times the hosts that received it (from the report). Pull bytes: every request byte that reached the store through a counting proxy, in one extra pull deployment not in the timings (the client\'s PutObject/UploadPart bodies, plus the hosts\' GET requests); the timed pull rounds talk to moto directly.',
    `Raw: push ${res.push.map((x) => (x / 1000).toFixed(2)).join(', ')} s; pull ${res.pull.map((x) => (x / 1000).toFixed(2)).join(', ')} s.`,
  ]
  mkdirSync(path.join(root, 'bench', 'results'), {recursive: true})
  writeFileSync(path.join(root, 'bench', 'results', 'distribution.md'), lines.join('\n') + '\n')
  process.stdout.write(lines.join('\n') + '\n')
} finally {
  await fleet.stop()
  proxy.close()
  moto.kill('SIGKILL')
  rmSync(work, {recursive: true, force: true})
  rmSync(home, {recursive: true, force: true})
}
