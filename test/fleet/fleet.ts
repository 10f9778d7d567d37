/**
 * A fleet of real OpenSSH test hosts on this machine.
 *
 * Host i is an `sshd` listening on its own loopback address (127.0.<slot>.<i+2>:22) inside its own mount, UTS and
 * PID namespaces: its own hostname, its own /root, /opt, /srv, /var/www, /var/lib/dops, /etc/dops and /tmp (bind-mounted from
 * `<dir>/hosts/<name>/fs/...`) and its own host key. Killing the `unshare` parent kills every process of the host,
 * so a stopped host really is gone (sessions included). Needs root on Linux.
 */
import type {ChildProcess} from 'node:child_process'
import {chmod, mkdir, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import path from 'node:path'
import {claimSlot, keygen, killSandbox, launchSandbox, prepareSandboxHost, releaseSlot, sandboxDirProblem, sandboxUnavailable, sshdConfig, waitForSandbox} from '../../src/providers/local/sandbox.js'

export interface FleetHost {
  name: string
  address: string
  port: number
  /** the host's private filesystem root on this machine: `<fsDir>/srv` is the host's /srv */
  fsDir: string
  proc?: ChildProcess
}

export interface Fleet {
  dir: string
  hosts: FleetHost[]
  clientKey: string
  knownHosts: string
  sshConfig: string
  inventoryIni: string
  inventoryYaml: string
  stopHost(name: string): Promise<void>
  startHost(name: string): Promise<void>
  /** Replace a host's key (the next start presents a different key). */
  rekeyHost(name: string): Promise<void>
  stop(): Promise<void>
}

export interface FleetOptions {
  count: number
  /** Where to keep keys and host filesystems; must not be under /tmp (hosts get their own /tmp). */
  dir?: string
  prefix?: string
}

export async function startFleet(opts: FleetOptions): Promise<Fleet> {
  const why = sandboxUnavailable()
  if (why) throw new Error(`the test fleet: ${why}`)
  if (opts.count < 1 || opts.count > 253) throw new Error('a fleet has 1 to 253 hosts')
  const problem = opts.dir ? sandboxDirProblem(opts.dir) : undefined
  if (problem) throw new Error(`the test fleet: ${problem}`)
  const slot = await claimSlot()
  await mkdir('/var/tmp/dops-fleets', {recursive: true})
  const dir = opts.dir ?? (await mkdtemp('/var/tmp/dops-fleets/fleet-'))
  await mkdir(dir, {recursive: true})
  // sshd reads authorized_keys as the user logging in: a non-root login (sudo tests) must be able to reach it
  await chmod(dir, 0o755)
  const prefix = opts.prefix ?? 'host'
  const clientKey = path.join(dir, 'id_ed25519')
  await keygen(clientKey, 'dops-fleet')
  await writeFile(path.join(dir, 'authorized_keys'), await readFile(clientKey + '.pub'))

  const hosts: FleetHost[] = Array.from({length: opts.count}, (_, i) => ({
    name: `${prefix}${String(i + 1).padStart(2, '0')}`,
    address: `127.0.${slot}.${i + 2}`,
    port: 22,
    fsDir: path.join(dir, 'hosts', `${prefix}${String(i + 1).padStart(2, '0')}`, 'fs'),
  }))

  const keyLines: string[] = []
  await Promise.all(
    hosts.map(async (h) => {
      const hd = path.join(dir, 'hosts', h.name)
      await prepareSandboxHost({name: h.name, dir: hd})
      await writeFile(path.join(hd, 'sshd_config'), sshdConfig({address: h.address, port: h.port, hostKey: path.join(hd, 'ssh_host_ed25519_key'), authorizedKeys: path.join(dir, 'authorized_keys')}))
    }),
  )
  for (const h of hosts) {
    const pub = (await readFile(path.join(dir, 'hosts', h.name, 'ssh_host_ed25519_key.pub'), 'utf8')).split(' ')
    keyLines.push(`${h.address} ${pub[0]} ${pub[1]}`)
  }
  const knownHosts = path.join(dir, 'known_hosts')
  await writeFile(knownHosts, keyLines.join('\n') + '\n')

  const sshConfig = path.join(dir, 'ssh_config')
  await writeFile(
    sshConfig,
    hosts.map((h) => `Host ${h.name}\n  HostName ${h.address}\n  Port ${h.port}\n`).join('') +
      `Host *\n  User root\n  IdentityFile ${clientKey}\n  UserKnownHostsFile ${knownHosts}\n  StrictHostKeyChecking yes\n`,
  )
  const inventoryIni = path.join(dir, 'inventory.ini')
  await writeFile(
    inventoryIni,
    '[fleet]\n' +
      hosts.map((h) => `${h.name} ansible_host=${h.address} ansible_port=${h.port}`).join('\n') +
      `\n\n[fleet:vars]\nansible_user=root\nansible_ssh_private_key_file=${clientKey}\n`,
  )
  const inventoryYaml = path.join(dir, 'inventory.yml')
  await writeFile(
    inventoryYaml,
    'all:\n  children:\n    fleet:\n      vars:\n        ansible_user: root\n' +
      `        ansible_ssh_private_key_file: ${clientKey}\n      hosts:\n` +
      hosts.map((h) => `        ${h.name}:\n          ansible_host: ${h.address}\n          ansible_port: ${h.port}\n`).join(''),
  )

  const byName = new Map(hosts.map((h) => [h.name, h]))
  const get = (name: string): FleetHost => {
    const h = byName.get(name)
    if (!h) throw new Error(`no fleet host ${name}`)
    return h
  }
  const startHost = async (name: string) => {
    const h = get(name)
    h.proc = launchSandbox({name: h.name, dir: path.join(dir, 'hosts', h.name)})
    await waitForSandbox({name: h.name, dir: path.join(dir, 'hosts', h.name), address: h.address, port: h.port, proc: h.proc}, Date.now() + 30_000)
  }
  const stopHost = async (name: string) => {
    const h = get(name)
    const p = h.proc
    h.proc = undefined
    if (!p || p.exitCode !== null) return
    const gone = new Promise((r) => p.once('exit', r))
    killSandbox(p.pid!)
    await Promise.race([gone, new Promise((r) => setTimeout(r, 5000))])
  }

  await Promise.all(hosts.map((h) => startHost(h.name)))
  await writeFile(path.join(dir, 'fleet.json'), JSON.stringify({slot, pids: hosts.map((h) => h.proc?.pid), hosts: hosts.map(({proc: _p, ...h}) => h)}, null, 2))
  return {
    dir,
    hosts,
    clientKey,
    knownHosts,
    sshConfig,
    inventoryIni,
    inventoryYaml,
    startHost,
    stopHost,
    async rekeyHost(name: string) {
      const key = path.join(dir, 'hosts', get(name).name, 'ssh_host_ed25519_key')
      await rm(key, {force: true})
      await rm(key + '.pub', {force: true})
      await keygen(key)
    },
    async stop() {
      await Promise.all(hosts.map((h) => stopHost(h.name)))
      await releaseSlot(slot)
      if (!opts.dir && !process.env.DOPS_FLEET_KEEP) await rm(dir, {recursive: true, force: true})
    },
  }
}
