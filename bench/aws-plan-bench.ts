/**
 * `env plan` and a no-op `env up` on the aws provider against moto (issue 11, "Numbers"): a 3-group plan (db, an
 * app pool in an Auto Scaling group, an edge proxy; sizes as `2C4G`) is brought up once, then each command is run
 * as a user runs it. For each: wall time (spawn to exit), the sum of the phases the command reports (--json), and
 * the share of the wall time outside every phase; the API calls it made (counted by a pass-through proxy).
 * Needs moto (pip install 'moto[server]'). Run: node --import tsx bench/aws-plan-bench.ts [--rounds 5] [--port 24990] [--size 2C4G]
 * Results: bench/results/aws-plan.md
 */
import {execFile} from 'node:child_process'
import {mkdtempSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {motoAt, startFaultProxy, startMoto} from '../test/env/moto.js'

const arg = (name: string, def: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1]! : def)
const rounds = Number(arg('--rounds', '5'))
// the bench's own moto base (no test file uses 30000), so it can run while tests do
const port = Number(arg('--port', String(motoAt(30000).port)))
// `--size t3.medium` instead of `2C4G`: what the size lookup (one DescribeInstanceTypes listing) costs
const size = arg('--size', '2C4G')
const root = path.resolve(import.meta.dirname, '..')
const moto = await startMoto(port)
const calls = await startFaultProxy(port, () => undefined)
const env = {...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', CI: 'true', NO_COLOR: '1', AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'us-east-1', AWS_EC2_METADATA_DISABLED: 'true'}
try {
  const ec2 = await import('@aws-sdk/client-ec2')
  const client = new ec2.EC2Client({region: 'us-east-1', endpoint: `http://127.0.0.1:${port}`, credentials: {accessKeyId: 'testing', secretAccessKey: 'testing'}})
  const ami = (await client.send(new ec2.DescribeImagesCommand({Filters: [{Name: 'architecture', Values: ['x86_64']}]}))).Images!.find((i) => i.ImageId && i.Name)!.ImageId!
  const work = mkdtempSync(path.join(os.tmpdir(), 'dops-aws-plan-bench-'))
  writeFileSync(
    path.join(work, 'dops.yml'),
    `version: 1\nproject: awsbench\nproviders:\n  ec2: {type: aws, region: us-east-1, endpoint: "${calls.endpoint}"}\nenvironments:\n  prod:\n    groups:\n` +
      `      db:\n        provider: ec2\n        instance: {count: 1, image: ${ami}, size: ${size}, firewall: [{port: 5432, from: ["group:pool"]}]}\n` +
      `      pool:\n        provider: ec2\n        dependsOn: [db]\n        instance: {count: 2, image: ${ami}, size: ${size}, autoScaling: {min: 1, max: 6}, firewall: [{port: 80, from: ["group:edge"]}]}\n` +
      `      edge:\n        provider: ec2\n        dependsOn: [pool]\n        instance: {count: 1, image: ${ami}, size: t3.micro, firewall: [{port: 443, from: [0.0.0.0/0]}]}\n`,
  )

  type Report = {phases: Record<string, number>; changed?: boolean}
  // not spawnSync: the counting proxy runs in this process
  const spawn = (args: string[]) =>
    new Promise<{status: number; stdout: string; stderr: string}>((resolve) => {
      execFile(process.execPath, [path.join(root, 'bin/run.js'), ...args], {cwd: work, env, encoding: 'utf8', timeout: 600_000, maxBuffer: 64 << 20}, (err, stdout, stderr) => resolve({status: err ? Number((err as {code?: number}).code ?? 1) : 0, stdout, stderr}))
    })
  const dops = async (args: string[]) => {
    calls.calls.clear()
    const t0 = performance.now()
    const r = await spawn([...args, '--json'])
    const wall = performance.now() - t0
    if (r.status !== 0) throw new Error(`dops ${args.join(' ')} exited ${r.status}: ${r.stdout.slice(-1500)}${r.stderr.slice(-1500)}`)
    const report = JSON.parse(r.stdout) as Report
    const phases = Object.entries(report.phases).filter(([k]) => k !== 'total')
    const sum = phases.reduce((n, [, ms]) => n + ms, 0)
    const api = [...calls.calls.values()].reduce((n, l) => n + l.length, 0)
    return {wall, sum, outside: wall - sum, report, api, byAction: Object.fromEntries([...calls.calls].map(([a, l]) => [a, l.length]))}
  }

  const first = await dops(['env', 'up'])
  process.stderr.write(`env up from nothing: ${(first.wall / 1000).toFixed(2)}s, ${first.api} API calls\n`)
  const rows: Record<string, Array<Awaited<ReturnType<typeof dops>>>> = {plan: [], noop: []}
  for (let i = 0; i < rounds; i++) {
    rows.plan!.push(await dops(['env', 'plan']))
    const noop = await dops(['env', 'up'])
    if (noop.report.changed) throw new Error(`env up again changed something: ${JSON.stringify(noop.report)}`)
    rows.noop!.push(noop)
    process.stderr.write(`round ${i + 1}: plan ${(rows.plan!.at(-1)!.wall / 1000).toFixed(2)}s, no-op up ${(noop.wall / 1000).toFixed(2)}s\n`)
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
  const s = (ms: number) => (ms / 1000).toFixed(2)
  const line = (name: string, list: Array<Awaited<ReturnType<typeof dops>>>) => {
    const wall = median(list.map((r) => r.wall))
    const sum = median(list.map((r) => r.sum))
    const outside = median(list.map((r) => r.outside))
    const keys = Object.keys(list[0]!.report.phases).filter((k) => k !== 'total' && list.some((r) => r.report.phases[k]! > 0))
    const phases = keys.map((k) => `${k} ${s(median(list.map((r) => r.report.phases[k]!)))}`).join(', ')
    return `| ${name} | ${s(wall)} | ${s(sum)} (${phases}) | ${s(outside)} (${((100 * outside) / wall).toFixed(0)}%) | ${list[0]!.api}: ${Object.entries(list[0]!.byAction).map(([a, n]) => `${a} ${n}`).join(', ')} |`
  }
  const lines = [
    '# env plan and a no-op env up on the aws provider (moto)',
    '',
    `${new Date().toISOString()} on ${os.cpus().length} cores (load ${os.loadavg()[0]!.toFixed(1)}), Node ${process.version}; ${rounds} rounds; medians in seconds, whole commands as a user runs them. Plan: 3 aws groups (db 1, pool 2 in an Auto Scaling group, edge 1; sizes ${size} and t3.micro), moto behind a pass-through proxy that counts the API calls.`,
    '',
    '| command | wall | in phases | outside every phase | API calls (first round) |',
    '|---|---|---|---|---|',
    line('env plan', rows.plan!),
    line('env up, nothing to do', rows.noop!),
    '',
  ]
  writeFileSync(path.join(root, `bench/results/aws-plan${size === '2C4G' ? '' : `-${size}`}.md`), lines.join('\n'))
  process.stdout.write(lines.join('\n') + '\n')
  await spawn(['env', 'down', '--yes', '--json'])
} finally {
  calls.close()
  moto.kill('SIGKILL')
}
