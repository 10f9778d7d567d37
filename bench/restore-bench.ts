/**
 * Disaster-recovery benchmark on the local provider (examples/local: 1 db, 2 web with the app, 1 nginx lb = 4
 * hosts): `dops env restore copy --from local` from nothing to every health gate green, with its phases, and a
 * `--drill` (build, verify, tear down). The baseline, measured in the same round: `env up` of the source from nothing
 * (the same 4 hosts, the working tree's revision). Goal: a restore under 30 s. Results: bench/results/restore.md.
 * Run by hand, as root: node --import tsx bench/restore-bench.ts [--rounds 3]
 */
import {spawnSync} from 'node:child_process'
import {cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

const rounds = Number(process.argv.includes('--rounds') ? process.argv[process.argv.indexOf('--rounds') + 1] : '3')
const root = path.resolve(import.meta.dirname, '..')
mkdirSync('/var/tmp/dops-restore-bench', {recursive: true})
const work = mkdtempSync('/var/tmp/dops-restore-bench/run-')
cpSync(path.join(root, 'examples/local'), work, {recursive: true})
writeFileSync(path.join(work, 'dops.yml'), `${readFileSync(path.join(work, 'dops.yml'), 'utf8').replace('project: shop', 'project: rstbench')}  copy:\n    restoreFrom: local\n`)
const env = {...process.env, CI: 'true', NO_COLOR: '1'}

type Report = {phases: Record<string, number>; exitCode: number}
function dops(args: string[]): {ms: number; report: Report} {
  const t0 = performance.now()
  const r = spawnSync(process.execPath, [path.join(root, 'bin/run.js'), ...args, '--json'], {cwd: work, env, encoding: 'utf8', timeout: 600_000})
  const ms = performance.now() - t0
  if (r.status !== 0) throw new Error(`dops ${args.join(' ')} exited ${r.status}: ${r.stdout.slice(-800)}${r.stderr.slice(-800)}`)
  return {ms, report: JSON.parse(r.stdout) as Report}
}

const PHASES = ['check', 'plan', 'provision', 'bootstrap', 'hooks', 'deploy', 'events', 'verify', 'teardown'] as const
const rows: Array<Record<string, number>> = []
try {
  for (let i = 0; i < rounds; i++) {
    const up = dops(['env', 'up', '-e', 'local'])
    const restore = dops(['env', 'restore', 'copy'])
    dops(['env', 'down', '-e', 'copy', '--yes'])
    const drill = dops(['env', 'restore', 'copy', '--drill'])
    dops(['env', 'down', '-e', 'local', '--yes'])
    const row: Record<string, number> = {up: up.ms, restore: restore.ms, recovery: restore.report.phases.recovery!, drill: drill.ms, drillRecovery: drill.report.phases.recovery!}
    for (const k of PHASES) {
      row[k] = restore.report.phases[k] ?? 0
      row[`drill.${k}`] = drill.report.phases[k] ?? 0
    }
    rows.push(row)
    process.stderr.write(`round ${i + 1}: env up ${(up.ms / 1000).toFixed(2)}s, env restore ${(restore.ms / 1000).toFixed(2)}s (recovery ${(row.recovery! / 1000).toFixed(2)}s), drill ${(drill.ms / 1000).toFixed(2)}s\n`)
  }
} finally {
  rmSync(work, {recursive: true, force: true})
}
const med = (k: string) => [...rows.map((r) => r[k]!)].sort((a, b) => a - b)[Math.floor(rows.length / 2)]! / 1000
const phases = (prefix: string) => PHASES.filter((k) => prefix || k !== 'teardown').map((k) => `${k} ${med(prefix + k).toFixed(2)}`).join(', ')
const lines = [
  '# dops env restore benchmark (local provider, examples/local: 1 db, 2 web with the app, 1 nginx lb = 4 hosts)',
  '',
  `${new Date().toISOString()} on ${os.cpus().length} cores, Node ${process.version}; ${rounds} rounds; medians in seconds, whole commands as a user runs them (process start included). Goal: a restore under 30 s.`,
  '',
  '| scenario | seconds | vs env up |',
  '|---|---|---|',
  `| baseline: env up -e local from nothing to serving | ${med('up').toFixed(2)} | 1.00 |`,
  `| env restore copy --from local (recovery time: start to every health gate green ${med('recovery').toFixed(2)}) | ${med('restore').toFixed(2)} | ${(med('restore') / med('up')).toFixed(2)} |`,
  `| phases of the restore | ${phases('')} | |`,
  `| env restore copy --drill (build, verify, tear down; recovery ${med('drillRecovery').toFixed(2)}) | ${med('drill').toFixed(2)} | ${(med('drill') / med('up')).toFixed(2)} |`,
  `| phases of the drill | ${phases('drill.')} | |`,
  '',
]
writeFileSync(path.join(root, 'bench/results/restore.md'), lines.join('\n'))
process.stdout.write(lines.join('\n') + '\n')
