/**
 * A fleet of real OpenSSH test hosts on this machine.
 *
 * Host i is an `sshd` listening on its own loopback address (127.0.<slot>.<i+2>:22) inside its own mount, UTS and
 * PID namespaces: its own hostname, its own /root, /opt, /srv, /var/www, /var/lib/dops, /etc/dops and /tmp (bind-mounted from
 * `<dir>/hosts/<name>/fs/...`) and its own host key. Killing the `unshare` parent kills every process of the host,
 * so a stopped host really is gone (sessions included). Needs root on Linux.
 */
import {spawn, execFile, type ChildProcess} from 'node:child_process'
import {promisify} from 'node:util'
import {mkdir, mkdtemp, readFile, rm, writeFile, open} from 'node:fs/promises'
import {existsSync, openSync} from 'node:fs'
import net from 'node:net'
import path from 'node:path'

const exec = promisify(execFile)
const SLOT_DIR = '/var/tmp/dops-fleet-slots'
const HOST_DIRS = ['root', 'opt', 'srv', 'var/www', 'var/lib/dops', 'etc/dops', 'tmp']

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

async function claimSlot(): Promise<number> {
  await mkdir(SLOT_DIR, {recursive: true})
  for (let slot = 10; slot < 250; slot++) {
    const file = path.join(SLOT_DIR, String(slot))
    try {
      // a slot whose first address answers belongs to a fleet started by another (perhaps finished) process
      if (await answers(`127.0.${slot}.2`, 22)) continue
      const fh = await open(file, 'wx')
      await fh.write(String(process.pid))
      await fh.close()
      return slot
    } catch {
      const owner = Number((await readFile(file, 'utf8').catch(() => '0')).trim())
      if (owner && !isAlive(owner)) {
        await rm(file, {force: true})
        slot--
      }
    }
  }
  throw new Error('no free fleet slot under ' + SLOT_DIR)
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

function sshdConfig(host: FleetHost, dir: string): string {
  const hd = path.join(dir, 'hosts', host.name)
  return [
    `ListenAddress ${host.address}:${host.port}`,
    `HostKey ${hd}/ssh_host_ed25519_key`,
    `AuthorizedKeysFile ${dir}/authorized_keys`,
    'PermitRootLogin prohibit-password',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'StrictModes no',
    'UseDNS no',
    'PrintMotd no',
    'PidFile none',
    'MaxStartups 100:30:200',
    'MaxSessions 100',
    'LogLevel ERROR',
    'Subsystem sftp internal-sftp',
    'AcceptEnv LANG LC_*',
    '',
  ].join('\n')
}

function answers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({host, port}, () => {
      s.destroy()
      resolve(true)
    })
    s.on('error', () => resolve(false))
    s.setTimeout(1000, () => {
      s.destroy()
      resolve(false)
    })
  })
}

async function waitForPort(address: string, port: number, deadline: number): Promise<void> {
  for (let i = 0; i < 400 && Date.now() < deadline; i++) {
    if (await answers(address, port)) return
    await new Promise((r) => setTimeout(r, 25))
  }
  throw new Error(`test host ${address}:${port} did not start listening`)
}

function launch(host: FleetHost, dir: string): ChildProcess {
  const hd = path.join(dir, 'hosts', host.name)
  const mounts = HOST_DIRS.map((d) => `mkdir -p /${d} && mount --bind ${hd}/fs/${d} /${d}`).join(' && ')
  const script = `hostname ${host.name} && ${mounts} && exec /usr/sbin/sshd -D -e -f ${hd}/sshd_config`
  const child = spawn(
    'unshare',
    ['--mount', '--uts', '--pid', '--fork', '--kill-child', '--mount-proc', '--propagation', 'private', '/bin/sh', '-c', script],
    // sshd's own errors go to <host dir>/sshd.log; a pipe would keep the test process alive
    {stdio: ['ignore', 'ignore', openSync(path.join(hd, 'sshd.log'), 'a')], detached: true},
  )
  child.unref()
  return child
}

export async function startFleet(opts: FleetOptions): Promise<Fleet> {
  if (process.getuid?.() !== 0) throw new Error('the test fleet needs root (mount namespaces)')
  if (!existsSync('/usr/sbin/sshd')) throw new Error('the test fleet needs OpenSSH server: apt-get install -y openssh-server')
  if (opts.count < 1 || opts.count > 253) throw new Error('a fleet has 1 to 253 hosts')
  await mkdir('/run/sshd', {recursive: true})
  const slot = await claimSlot()
  await mkdir('/var/tmp/dops-fleets', {recursive: true})
  const dir = opts.dir ?? (await mkdtemp('/var/tmp/dops-fleets/fleet-'))
  await mkdir(dir, {recursive: true})
  const prefix = opts.prefix ?? 'host'
  const clientKey = path.join(dir, 'id_ed25519')
  await exec('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'dops-fleet', '-f', clientKey])
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
      await Promise.all(HOST_DIRS.map((d) => mkdir(path.join(hd, 'fs', d), {recursive: true})))
      await exec('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(hd, 'ssh_host_ed25519_key')])
      await writeFile(path.join(hd, 'sshd_config'), sshdConfig(h, dir))
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
    h.proc = launch(h, dir)
    await waitForPort(h.address, h.port, Date.now() + 15_000)
  }
  const stopHost = async (name: string) => {
    const h = get(name)
    const p = h.proc
    h.proc = undefined
    if (!p || p.exitCode !== null) return
    const gone = new Promise((r) => p.once('exit', r))
    // unshare ignores SIGTERM while it waits; SIGKILL makes the kernel kill its child, the namespace's init,
    // and with it every process of the host
    p.kill('SIGKILL')
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
      await exec('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key])
    },
    async stop() {
      await Promise.all(hosts.map((h) => stopHost(h.name)))
      await rm(path.join(SLOT_DIR, String(slot)), {force: true})
      if (!opts.dir && !process.env.DOPS_FLEET_KEEP) await rm(dir, {recursive: true, force: true})
    },
  }
}
