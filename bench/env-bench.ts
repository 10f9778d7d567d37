/**
 * Environment benchmark on the local provider: `dops env up` of examples/local from nothing to serving, `env up`
 * again with nothing to do, `scale web=+2`, again with 10 hosts, `scale web=2` (drain), and `env down`; phase times from each command's JSON. Results:
 * bench/results/env.md. Run by hand, as root: npm run bench:env -- [--rounds 3]
 */
import {spawnSync} from 'node:child_process'
import {cpSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

const rounds = Number(process.argv.includes('--rounds') ? process.argv[process.argv.indexOf('--rounds') + 1] : '3')
const root = path.resolve(import.meta.dirname, '..')
const work = mkdtempSync(path.join(os.tmpdir(), 'dops-env-bench-'))
cpSync(path.join(root, 'examples/local'), work, {recursive: true})
writeFileSync(path.join(work, 'dops.yml'), readFileSync(path.join(work, 'dops.yml'), 'utf8').replace('project: shop', 'project: envbench'))
const env = {...process.env, CI: 'true', NO_COLOR: '1'}

function dops(args: string[]): {ms: number; report: {phases?: Record<string, number>; changed?: boolean}} {
  const t0 = performance.now()
  const r = spawnSync(process.execPath, [path.join(root, 'bin/run.js'), ...args, '--json'], {cwd: work, env, encoding: 'utf8', timeout: 600_000})
  const ms = performance.now() - t0
  if (r.status !== 0) throw new Error(`dops ${args.join(' ')} exited ${r.status}: ${r.stdout.slice(-500)}${r.stderr.slice(-500)}`)
  return {ms, report: JSON.parse(r.stdout)}
}

const rows: Array<Record<string, number>> = []
for (let i = 0; i < rounds; i++) {
  const up = dops(['env', 'up'])
  const again = dops(['env', 'up'])
  const scale = dops(['scale', 'web=4'])
  dops(['scale', 'web=8'])
  const again10 = dops(['env', 'up'])
  if (again10.report.changed) throw new Error('env up after scale changed something')
  const shrink = dops(['scale', 'web=2'])
  const down = dops(['env', 'down', '--yes'])
  const ph = up.report.phases!
  rows.push({up: up.ms, again: again.ms, scale: scale.ms, again10: again10.ms, shrink: shrink.ms, shrinkDrain: shrink.report.phases!.drain!, down: down.ms, downDrain: down.report.phases!.drain!, provision: ph.provision!, wait: ph.wait!, bootstrap: ph.bootstrap!, deploy: ph.deploy!, events: ph.events!})
  process.stderr.write(`round ${i + 1}: up ${(up.ms / 1000).toFixed(2)}s, again ${(again.ms / 1000).toFixed(2)}s, scale +2 ${(scale.ms / 1000).toFixed(2)}s, down ${(down.ms / 1000).toFixed(2)}s\n`)
}
const med = (k: string) => [...rows.map((r) => r[k]!)].sort((a, b) => a - b)[Math.floor(rows.length / 2)]! / 1000
const lines = [
  '# dops env benchmark (local provider, examples/local: 1 db, 2 web with the app, 1 nginx lb)',
  '',
  `${new Date().toISOString()} on ${os.cpus().length} cores, Node ${process.version}; ${rounds} rounds; medians in seconds, whole commands as a user runs them.`,
  '',
  '| scenario | seconds |',
  '|---|---|',
  `| env up from nothing to serving | ${med('up').toFixed(2)} (provision ${med('provision').toFixed(2)}, wait ${med('wait').toFixed(2)}, bootstrap ${med('bootstrap').toFixed(2)}, deploy ${med('deploy').toFixed(2)}, events ${med('events').toFixed(2)}) |`,
  `| env up again, nothing to do | ${med('again').toFixed(2)} |`,
  `| scale web=4 (+2 hosts, bootstrapped, deployed, lb upstreams updated) | ${med('scale').toFixed(2)} |`,
  `| env up again with 10 hosts (web=8), nothing to do | ${med('again10').toFixed(2)} |`,
  `| scale web=2 (-6 hosts: hostsLeft on the lb, app drained, destroyed) | ${med('shrink').toFixed(2)} (drain ${med('shrinkDrain').toFixed(2)}) |`,
  `| env down (drain, destroy) | ${med('down').toFixed(2)} (drain ${med('downDrain').toFixed(2)}) |`,
  '',
]
writeFileSync(path.join(root, 'bench/results/env.md'), lines.join('\n'))
process.stdout.write(lines.join('\n') + '\n')
