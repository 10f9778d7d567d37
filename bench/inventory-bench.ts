/**
 * Inventory listing benchmark: `dops hosts -i big.ini --json` on a generated inventory of 5,000 hosts in 20 groups
 * (nested children and group vars), against a baseline measured in the same invocation: node reading the same file
 * and splitting it into lines (the floor: process start-up plus reading the file). Reports wall time and peak RSS
 * (from /usr/bin/time -v; "n/a" where it is absent, since a parent cannot read a child's peak RSS otherwise) and the ratio to the
 * baseline in bench/results/inventory.md. Run by hand:
 *   node --import tsx bench/inventory-bench.ts [--hosts 5000] [--groups 20] [--rounds 3]
 */
import {spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(name)
  return i >= 0 ? process.argv[i + 1]! : def
}
const hosts = Number(arg('--hosts', '5000'))
const groups = Number(arg('--groups', '20'))
const rounds = Number(arg('--rounds', '3'))
const root = path.resolve(import.meta.dirname, '..')
const work = mkdtempSync(path.join(os.tmpdir(), 'dops-inv-bench-'))

/** 5,000 hosts spread over 20 groups; groups 10-19 are children of groups 0-9 (two levels), each group has vars. */
function generateInventory(nHosts: number, nGroups: number): string {
  const lines: string[] = []
  for (let g = 0; g < nGroups; g++) {
    lines.push(`[g${g}]`)
    for (let h = g; h < nHosts; h += nGroups) lines.push(`host${String(h).padStart(5, '0')}.example.com ansible_host=10.${(h >> 16) & 255}.${(h >> 8) & 255}.${h & 255} ansible_port=${2200 + (h % 50)} rack=r${h % 40}`)
    lines.push(`[g${g}:vars]`, `tier=t${g}`, `ntp=ntp${g % 3}.example.com`)
  }
  const half = Math.floor(nGroups / 2)
  for (let g = 0; g < half; g++) lines.push(`[g${g}:children]`, `g${g + half}`)
  lines.push('[all:vars]', 'ansible_user=deploy')
  return lines.join('\n') + '\n'
}

const file = path.join(work, 'big.ini')
writeFileSync(file, generateInventory(hosts, groups))
const baseline = path.join(work, 'baseline.mjs')
writeFileSync(baseline, `import {readFileSync} from 'node:fs'\nconst lines = readFileSync(process.argv[2], 'utf8').split('\\n')\nprocess.stdout.write(JSON.stringify({lines: lines.length}) + '\\n')\n`)
const timeV = existsSync('/usr/bin/time')

function measure(cmd: string[]): {ms: number; rssKb: number; code: number | null} {
  const t0 = performance.now()
  const r = timeV ? spawnSync('/usr/bin/time', ['-v', ...cmd], {encoding: 'utf8', maxBuffer: 256 * 1024 * 1024}) : spawnSync(cmd[0]!, cmd.slice(1), {encoding: 'utf8', maxBuffer: 256 * 1024 * 1024})
  const ms = performance.now() - t0
  const rss = timeV ? Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)?.[1] ?? 0) : 0
  return {ms, rssKb: rss, code: r.status}
}

const tools = {
  dops: [process.execPath, path.join(root, 'bin/run.js'), 'hosts', '-i', file, '--json'],
  baseline: [process.execPath, baseline, file],
}
const results: Record<string, Array<{ms: number; rssKb: number}>> = {dops: [], baseline: []}
for (let r = 0; r < rounds; r++) {
  for (const [name, cmd] of Object.entries(tools)) {
    const m = measure(cmd)
    if (m.code !== 0) throw new Error(`${name} exited ${m.code}`)
    results[name]!.push(m)
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const row = (name: string) => ({ms: median(results[name]!.map((m) => m.ms)), rssKb: median(results[name]!.map((m) => m.rssKb))})
const d = row('dops')
const b = row('baseline')
const text = `# Inventory listing: ${hosts} hosts, ${groups} groups

\`dops hosts -i big.ini --json\` against node reading and splitting the same file, ${rounds} rounds (median), ${new Date().toISOString()}.

| | wall | peak RSS |
|---|---|---|
| dops hosts --json | ${d.ms.toFixed(0)} ms | ${timeV ? `${(d.rssKb / 1024).toFixed(0)} MiB` : 'n/a'} |
| baseline (read + split) | ${b.ms.toFixed(0)} ms | ${timeV ? `${(b.rssKb / 1024).toFixed(0)} MiB` : 'n/a'} |
| ratio | ${(d.ms / b.ms).toFixed(2)}x | |
`
mkdirSync(path.join(root, 'bench/results'), {recursive: true})
writeFileSync(path.join(root, 'bench/results/inventory.md'), text)
process.stdout.write(text)
