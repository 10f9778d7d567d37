/**
 * Fan-out benchmark: `uname -a` on 10, 50 and 200 sandbox hosts with dops run, parallel-ssh -p 200,
 * ansible -m command -f 200, and a bare ssh2 script (the floor for this stack), alternating tools in each round.
 * Writes medians and ratios to bench/results/run-fanout.md (and .json). Run by hand, as root:
 *   npm run bench -- [--rounds 3] [--sizes 10,50,200] [--ansible-rounds 1] [--no-ansible]
 * Needs: apt-get install -y openssh-server pssh ansible
 */
import {spawnSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {startFleet} from '../test/fleet/fleet.js'

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(name)
  return i >= 0 ? process.argv[i + 1]! : def
}
const rounds = Number(arg('--rounds', '3'))
const ansibleRounds = Number(arg('--ansible-rounds', '1'))
const sizes = arg('--sizes', '10,50,200').split(',').map(Number)
const withAnsible = !process.argv.includes('--no-ansible') && spawnSync('sh', ['-c', 'command -v ansible']).status === 0
const withPssh = spawnSync('sh', ['-c', 'command -v parallel-ssh']).status === 0
const root = path.resolve(import.meta.dirname, '..')
const max = Math.max(...sizes)

// the baseline is compiled once to plain JS so it pays no transpiler start-up (dops runs from dist/ too)
const {build} = await import('esbuild')
const bare = path.join(root, 'bench/.build/bare-ssh2.mjs')
await build({entryPoints: [path.join(root, 'bench/bare-ssh2.ts')], outfile: bare, format: 'esm', platform: 'node', target: 'node20', logLevel: 'error'})

const fleet = await startFleet({count: max, prefix: 'h'})
const work = mkdtempSync(path.join(os.tmpdir(), 'dops-bench-'))
const home = mkdtempSync(path.join(os.tmpdir(), 'dops-bench-home-'))
const env = {...process.env, HOME: home, CI: 'true', NO_COLOR: '1', SSH_AUTH_SOCK: '', ANSIBLE_HOST_KEY_CHECKING: 'True', ANSIBLE_SSH_ARGS: `-o UserKnownHostsFile=${fleet.knownHosts} -o ControlMaster=auto -o ControlPersist=60s`, ANSIBLE_PYTHON_INTERPRETER: '/usr/bin/python3', ANSIBLE_LOCAL_TEMP: path.join(work, 'ansible-tmp')}

type Tool = {name: string; cmd: (n: number) => string[]}
const files = (n: number) => {
  const hs = fleet.hosts.slice(0, n)
  const inv = path.join(work, `inv-${n}.ini`)
  writeFileSync(inv, `[fleet]\n${hs.map((h) => `${h.name} ansible_host=${h.address}`).join('\n')}\n[fleet:vars]\nansible_user=root\nansible_ssh_private_key_file=${fleet.clientKey}\n`)
  const list = path.join(work, `hosts-${n}.txt`)
  writeFileSync(list, hs.map((h) => h.address).join('\n') + '\n')
  return {inv, list}
}
const tools: Tool[] = [
  {name: 'bare-ssh2', cmd: (n) => [process.execPath, bare, files(n).list, fleet.clientKey, fleet.knownHosts, 'uname -a']},
  {name: 'dops', cmd: (n) => [process.execPath, path.join(root, 'bin/run.js'), 'run', '-i', files(n).inv, '--known-hosts', fleet.knownHosts, '--', 'uname -a']},
]
if (withPssh) tools.push({name: 'parallel-ssh', cmd: (n) => ['parallel-ssh', '-p', '200', '-t', '60', '-h', files(n).list, '-l', 'root', '-x', `-i ${fleet.clientKey} -o UserKnownHostsFile=${fleet.knownHosts} -o StrictHostKeyChecking=yes -o BatchMode=yes`, 'uname -a']})
if (withAnsible) tools.push({name: 'ansible', cmd: (n) => ['ansible', 'all', '-i', files(n).inv, '-m', 'command', '-a', 'uname -a', '-f', '200']})

function time(cmd: string[]): {ms: number; ok: boolean} {
  const t0 = performance.now()
  const r = spawnSync(cmd[0]!, cmd.slice(1), {cwd: work, env, stdio: ['ignore', 'ignore', 'pipe'], timeout: 600_000})
  const ms = performance.now() - t0
  if (r.status !== 0) process.stderr.write(`  ${cmd[0]} ${cmd[1]} exited ${r.status}: ${r.stderr?.toString().slice(-400)}\n`)
  return {ms, ok: r.status === 0}
}
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2) : NaN
}

const results: Record<string, Record<string, number[]>> = {}
try {
  for (const n of sizes) {
    results[n] = {}
    for (let r = 0; r < rounds; r++) {
      // alternate the order each round so no tool always runs on a warm or a cold machine
      const order = r % 2 ? [...tools].reverse() : tools
      for (const t of order) {
        if (t.name === 'ansible' && r >= ansibleRounds) continue
        const {ms, ok} = time(t.cmd(n))
        process.stderr.write(`${n} hosts, round ${r + 1}: ${t.name} ${(ms / 1000).toFixed(2)}s${ok ? '' : ' (FAILED)'}\n`)
        if (ok) (results[n]![t.name] ??= []).push(ms)
      }
    }
  }
  const version = Array.from({length: 10}, () => time([process.execPath, path.join(root, 'bin/run.js'), '--version']).ms)
  const lines = [
    `# dops run fan-out benchmark`,
    ``,
    `${new Date().toISOString()} on ${os.cpus().length} cores (${os.cpus()[0]?.model}), Node ${process.version}; ${rounds} rounds (ansible ${ansibleRounds}), tools alternating; \`uname -a\` on each host; medians in seconds.`,
    ``,
    `| hosts | ${tools.map((t) => t.name).join(' | ')} | dops / bare-ssh2 | dops / parallel-ssh | ansible / dops |`,
    `|---|${tools.map(() => '---').join('|')}|---|---|---|`,
  ]
  const json: Record<string, Record<string, number>> = {}
  for (const n of sizes) {
    const m = Object.fromEntries(tools.map((t) => [t.name, median(results[n]![t.name] ?? []) / 1000]))
    json[n] = m
    const r = (a?: number, b?: number) => (a && b ? (a / b).toFixed(2) + 'x' : 'n/a')
    lines.push(`| ${n} | ${tools.map((t) => (m[t.name] ? m[t.name]!.toFixed(2) : 'n/a')).join(' | ')} | ${r(m.dops, m['bare-ssh2'])} | ${r(m.dops, m['parallel-ssh'])} | ${r(m.ansible, m.dops)} |`)
  }
  lines.push('', `\`dops --version\`: median ${median(version).toFixed(0)} ms over 10 runs.`, '')
  mkdirSync(path.join(root, 'bench/results'), {recursive: true})
  writeFileSync(path.join(root, 'bench/results/run-fanout.md'), lines.join('\n'))
  writeFileSync(path.join(root, 'bench/results/run-fanout.json'), JSON.stringify({date: new Date().toISOString(), rounds, medians: json, raw: results, versionMs: version}, null, 2))
  process.stdout.write(lines.join('\n') + '\n')
} finally {
  await fleet.stop()
}
