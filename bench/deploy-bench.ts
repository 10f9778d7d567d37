/**
 * Deploy benchmark: a 20 MB revision to 50 sandbox hosts with AllAtOnce, against a baseline of a parallel `scp` of
 * the same bundle plus one `ssh` per host that unpacks it, copies the files and runs the same hooks; and OneAtATime
 * to 10 hosts, to measure dops's overhead per host beyond hook time. Rounds alternate tools; each round deploys new
 * content so the bundle is really sent. Results: bench/results/deploy.md. Run by hand, as root:
 *   npm run bench:deploy -- [--rounds 3] [--hosts 50] [--serial-hosts 10]
 */
import {spawnSync} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {chmodSync, mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {startFleet} from '../test/fleet/fleet.js'

const arg = (n: string, d: string) => (process.argv.includes(n) ? process.argv[process.argv.indexOf(n) + 1]! : d)
const rounds = Number(arg('--rounds', '3'))
const N = Number(arg('--hosts', '50'))
const S = Number(arg('--serial-hosts', '10'))
const root = path.resolve(import.meta.dirname, '..')
const fleet = await startFleet({count: Math.max(N, S), prefix: 'b'})
const work = mkdtempSync(path.join(os.tmpdir(), 'dops-deploy-bench-'))
const home = mkdtempSync(path.join(os.tmpdir(), 'dops-bench-home-'))
const env = {...process.env, HOME: home, CI: 'true', NO_COLOR: '1', SSH_AUTH_SOCK: ''}
const HOOKS = ['BeforeInstall', 'AfterInstall', 'ApplicationStart', 'ValidateService']
const big = randomBytes(20 * 1024 * 1024)

function makeRevision(round: number): string {
  const dir = path.join(work, 'app')
  mkdirSync(path.join(dir, 'scripts'), {recursive: true})
  mkdirSync(path.join(dir, 'payload'), {recursive: true})
  writeFileSync(path.join(dir, 'payload', 'blob.bin'), big)
  writeFileSync(path.join(dir, 'payload', 'version.txt'), `round ${round} ${Date.now()}\n`)
  for (const h of HOOKS) {
    writeFileSync(path.join(dir, 'scripts', `${h}.sh`), '#!/bin/sh\ntrue\n')
    chmodSync(path.join(dir, 'scripts', `${h}.sh`), 0o755)
  }
  writeFileSync(path.join(dir, 'appspec.yml'), `version: 0.0\nos: linux\nfiles:\n  - source: payload\n    destination: /opt/app\nfile_exists_behavior: OVERWRITE\nhooks:\n${HOOKS.map((h) => `  ${h}:\n    - location: scripts/${h}.sh\n      timeout: 60\n`).join('')}`)
  return dir
}

function plan(hosts: number, preset: string): void {
  writeFileSync(path.join(work, 'dops.yml'), `version: 1\nproject: bench\nssh:\n  config: ${fleet.sshConfig}\napps:\n  app:\n    source: ./app\n    strategy: {preset: ${preset}}\nenvironments:\n  b:\n    groups:\n      g:\n        hosts: [${fleet.hosts.slice(0, hosts).map((h) => h.name).join(', ')}]\n        apps: [app]\n`)
}

function time(cmd: string[], opts: {cwd?: string} = {}): number {
  const t0 = performance.now()
  const r = spawnSync(cmd[0]!, cmd.slice(1), {cwd: opts.cwd ?? work, env, stdio: ['ignore', 'ignore', 'pipe'], timeout: 900_000})
  if (r.status !== 0) throw new Error(`${cmd.join(' ').slice(0, 200)} exited ${r.status}: ${r.stderr?.toString().slice(-500)}`)
  return performance.now() - t0
}

/** scp the bundle to every host in parallel, then one ssh per host: unpack, copy, run the hooks. */
function baseline(hosts: number, bundle: string): number {
  const names = fleet.hosts.slice(0, hosts).map((h) => h.name).join('\n')
  const remote = `set -e; mkdir -p /tmp/rev && tar -xzf /tmp/bundle.tgz -C /tmp/rev && mkdir -p /opt/app && cp -pR /tmp/rev/payload/. /opt/app/ && for h in ${HOOKS.join(' ')}; do (cd / && timeout 60 /tmp/rev/scripts/$h.sh </dev/null); done`
  const remoteFile = path.join(work, 'remote.sh')
  writeFileSync(remoteFile, remote + '\n')
  const script = `printf '%s\\n' "${names.split('\n').join('" "')}" | xargs -P ${hosts} -I{} sh -c 'scp -q -F ${fleet.sshConfig} ${bundle} {}:/tmp/bundle.tgz && ssh -F ${fleet.sshConfig} {} sh -s < ${remoteFile}'`
  return time(['sh', '-c', script])
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN
const res = {dopsAll: [] as number[], baseAll: [] as number[], dopsSerial: [] as number[], hookSerial: [] as number[]}
try {
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 ? ['base', 'dops'] : ['dops', 'base']
    for (const tool of order) {
      const rev = makeRevision(r * 10 + (tool === 'dops' ? 1 : 2))
      if (tool === 'dops') {
        plan(N, 'AllAtOnce')
        res.dopsAll.push(time([process.execPath, path.join(root, 'bin/run.js'), 'deploy', '--json']))
      } else {
        const bundle = path.join(work, 'bundle.tgz')
        spawnSync('tar', ['-czf', bundle, '-C', rev, '.'])
        res.baseAll.push(baseline(N, bundle))
      }
      process.stderr.write(`round ${r + 1} ${tool}: ${((tool === 'dops' ? res.dopsAll : res.baseAll).at(-1)! / 1000).toFixed(2)}s\n`)
    }
    // OneAtATime on S hosts, and the same hooks run by one ssh per host in sequence (the hook time floor)
    makeRevision(r * 10 + 3)
    plan(S, 'OneAtATime')
    res.dopsSerial.push(time([process.execPath, path.join(root, 'bin/run.js'), 'deploy', '--json']))
    res.hookSerial.push(time(['sh', '-c', fleet.hosts.slice(0, S).map((h) => `ssh -F ${fleet.sshConfig} ${h.name} 'for h in ${HOOKS.join(' ')}; do true; done'`).join(' && ')]))
    process.stderr.write(`round ${r + 1} OneAtATime x${S}: dops ${(res.dopsSerial.at(-1)! / 1000).toFixed(2)}s, sequential ssh ${(res.hookSerial.at(-1)! / 1000).toFixed(2)}s\n`)
  }
  const m = Object.fromEntries(Object.entries(res).map(([k, v]) => [k, median(v) / 1000])) as Record<keyof typeof res, number>
  const perHost = (m.dopsSerial - m.hookSerial) / S
  const lines = [
    '# dops deploy benchmark',
    '',
    `${new Date().toISOString()} on ${os.cpus().length} cores, Node ${process.version}; ${rounds} rounds, medians in seconds; 20 MB revision, ${HOOKS.length} trivial hooks.`,
    '',
    '| scenario | dops | baseline | ratio |',
    '|---|---|---|---|',
    `| AllAtOnce, ${N} hosts (baseline: parallel scp + one ssh per host) | ${m.dopsAll.toFixed(2)} | ${m.baseAll.toFixed(2)} | ${(m.dopsAll / m.baseAll).toFixed(2)}x |`,
    `| OneAtATime, ${S} hosts (baseline: one ssh per host in sequence) | ${m.dopsSerial.toFixed(2)} | ${m.hookSerial.toFixed(2)} | overhead ${perHost.toFixed(2)} s/host |`,
    '',
  ]
  writeFileSync(path.join(root, 'bench/results/deploy.md'), lines.join('\n'))
  writeFileSync(path.join(root, 'bench/results/deploy.json'), JSON.stringify({date: new Date().toISOString(), rounds, raw: res, medians: m, overheadPerHostSec: perHost}, null, 2))
  process.stdout.write(lines.join('\n') + '\n')
} finally {
  await fleet.stop()
}
