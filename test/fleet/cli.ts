/**
 * Start or stop a fleet of sandbox sshd hosts from the shell (README quick start, benchmarks):
 *   node --import tsx test/fleet/cli.ts start 5 --dir /var/tmp/dops-demo
 *   node --import tsx test/fleet/cli.ts stop --dir /var/tmp/dops-demo
 */
import {existsSync, readdirSync} from 'node:fs'
import {readFile, rm} from 'node:fs/promises'
import path from 'node:path'
import {startFleet} from './fleet.js'
import {isSandboxProcess} from '../../src/providers/local/identity.js'
import {killSandbox} from '../../src/providers/local/sandbox.js'

const [cmd, ...rest] = process.argv.slice(2)
const flag = (name: string) => {
  const i = rest.indexOf(name)
  return i >= 0 ? rest[i + 1] : undefined
}
const dir = path.resolve(flag('--dir') ?? '/var/tmp/dops-demo')

async function stop(): Promise<void> {
  // only a directory a fleet wrote (it has fleet.json) is ever deleted; an empty or missing one is left as it is
  if (!existsSync(path.join(dir, 'fleet.json'))) {
    if (existsSync(dir) && readdirSync(dir).length) {
      process.stderr.write(`${dir} is not a fleet directory (no fleet.json): nothing was stopped or deleted\n`)
      process.exit(2)
    }
    return
  }
  const info = JSON.parse(await readFile(path.join(dir, 'fleet.json'), 'utf8').catch(() => '{}')) as {pids?: number[]; slot?: number; hosts?: Array<{name: string}>}
  // only processes that are still this fleet's hosts (a pid may belong to another process after a reboot)
  for (const [k, pid] of (info.pids ?? []).entries()) {
    const name = info.hosts?.[k]?.name
    if (name && isSandboxProcess(pid, path.join(dir, 'hosts', name))) killSandbox(pid)
  }
  if (info.slot !== undefined) await rm(`/var/tmp/dops-fleet-slots/${info.slot}`, {force: true})
  await rm(dir, {recursive: true, force: true})
}

if (cmd === 'start') {
  const count = Number(rest.find((a) => /^\d+$/.test(a)) ?? 5)
  await stop()
  const fleet = await startFleet({count, dir, prefix: flag('--prefix') ?? 'host'})
  // keep the hosts when this process exits; `stop` ends them
  process.stdout.write(
    [
      `started ${fleet.hosts.length} sandbox hosts (${fleet.hosts[0]!.address} .. ${fleet.hosts.at(-1)!.address}) in ${dir}`,
      `  inventory:   ${fleet.inventoryIni}`,
      `  ssh config:  ${fleet.sshConfig}`,
      `  known_hosts: ${fleet.knownHosts}`,
      `  try:  dops run -i ${fleet.inventoryIni} --known-hosts ${fleet.knownHosts} -- uname -a`,
      `  stop: node --import tsx test/fleet/cli.ts stop --dir ${dir}`,
      '',
    ].join('\n'),
  )
  process.exit(0)
} else if (cmd === 'stop') {
  await stop()
  process.stdout.write(`stopped the fleet in ${dir}\n`)
} else {
  process.stderr.write('usage: cli.ts start N [--dir DIR] [--prefix NAME] | stop [--dir DIR]\n')
  process.exit(2)
}
