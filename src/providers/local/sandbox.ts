/**
 * Sandbox hosts on this machine: a real OpenSSH sshd on its own loopback address, in its own mount, UTS and PID
 * namespaces, with its own /root, /opt, /srv, /var/www, /var/lib/dops, /etc/dops and /tmp bind-mounted from a
 * per-host directory, and its own host key. Killing the `unshare` parent kills every process of the host.
 * Used by the `local` provider and by the test fleet. Needs root on Linux and /usr/sbin/sshd.
 */
import {execFile, spawn, type ChildProcess} from 'node:child_process'
import {existsSync, openSync, realpathSync} from 'node:fs'
import {mkdir, open, readFile, rm} from 'node:fs/promises'
import net from 'node:net'
import path from 'node:path'
import {promisify} from 'node:util'
import {DopsError, ExitCode} from '../../errors.js'
import {shQuote} from '../../transport/remote-command.js'
import {processAlive} from '../../util/process.js'
import {dropStale} from '../../util/stale-lock.js'
import {isWithin, sshdConfigArg} from './identity.js'

const exec = promisify(execFile)
export const SLOT_DIR = '/var/tmp/dops-fleet-slots'
export const SANDBOX_DIRS = ['root', 'opt', 'srv', 'var/www', 'var/lib/dops', 'etc/dops', 'tmp']

/** Why sandbox hosts cannot run here, or undefined when they can. */
export function sandboxUnavailable(): string | undefined {
  if (process.platform !== 'linux') return `sandbox hosts need Linux (this is ${process.platform})`
  if (process.getuid?.() !== 0) return 'sandbox hosts need root (they use mount, UTS and PID namespaces): run dops as root'
  if (!existsSync('/usr/sbin/sshd')) return 'sandbox hosts need OpenSSH server: apt-get install -y openssh-server'
  if (!existsSync('/usr/bin/unshare')) return 'sandbox hosts need unshare (util-linux)'
  return undefined
}

export function answers(host: string, port: number): Promise<boolean> {
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

/** The last `lines` lines of a file (at most its last 64 KiB), or '' when it cannot be read. */
async function tail(file: string, lines: number): Promise<string> {
  const fh = await open(file, 'r').catch(() => undefined)
  if (!fh) return ''
  try {
    const size = (await fh.stat()).size
    const len = Math.min(size, 64 * 1024)
    const buf = Buffer.alloc(len)
    await fh.read(buf, 0, len, size - len)
    return buf.toString('utf8').split('\n').filter((l) => l.trim()).slice(-lines).join('\n')
  } finally {
    await fh.close()
  }
}

/**
 * Wait until a sandbox host's sshd listens; when it does not (its process exited, or the deadline passed), the
 * error names the host and ends with the last lines of its sshd log, where sshd and the mounts before it say why.
 */
export async function waitForSandbox(h: SandboxHostFiles & {address: string; port: number; proc?: ChildProcess}, deadline: number): Promise<void> {
  const exited = () => h.proc !== undefined && (h.proc.pid === undefined || h.proc.exitCode !== null || h.proc.signalCode !== null)
  const ms = Math.max(0, deadline - Date.now())
  for (let i = 0; i < 2000 && Date.now() < deadline && !exited(); i++) {
    if (await answers(h.address, h.port)) return
    await new Promise((r) => setTimeout(r, 25))
  }
  const log = path.join(h.dir, 'sshd.log')
  const how = (p: ChildProcess) => (p.pid === undefined ? 'unshare could not be started' : p.exitCode !== null ? `exit code ${p.exitCode}` : `signal ${p.signalCode}`)
  const why = exited() ? `its sshd exited (${how(h.proc!)})` : `its sshd did not listen within ${Math.round(ms / 1000)} s`
  const last = await tail(log, 10)
  throw new DopsError('SANDBOX_START', `sandbox host ${h.name} (${h.address}:${h.port}) did not start: ${why}; ${last ? `the last lines of ${log}:\n${last.replace(/^/gm, '  ')}` : `${log} is empty`}`, {exitCode: ExitCode.SOME_FAILED})
}

/**
 * Why a sandbox host's files cannot live in `dir`, or undefined when they can: each host mounts its own copy of
 * /tmp, /root, /opt, ... over the machine's, so its sshd could not read its config or key in those.
 */
export function sandboxDirProblem(dir: string): string | undefined {
  let real = path.resolve(dir)
  // the nearest directory that exists, resolved through symbolic links (/tmp may be one)
  for (let up = real, rest = ''; ; up = path.dirname(up)) {
    if (existsSync(up)) {
      real = path.join(realpathSync(up), rest)
      break
    }
    rest = path.join(path.basename(up), rest)
    if (up === path.dirname(up)) break
  }
  const hidden = SANDBOX_DIRS.map((d) => `/${d}`).find((d) => real === d || isWithin(d, real))
  if (!hidden) return undefined
  return `sandbox host files cannot be under ${hidden} (${dir}): each sandbox host mounts its own ${hidden} there, so its sshd could not read its own config; use a directory elsewhere, e.g. under /var/tmp`
}

export async function waitForPort(address: string, port: number, deadline: number): Promise<void> {
  const start = Date.now()
  for (let i = 0; i < 400 && Date.now() < deadline; i++) {
    if (await answers(address, port)) return
    await new Promise((r) => setTimeout(r, 25))
  }
  throw new Error(`${address}:${port} did not start listening within ${Math.round((deadline - start) / 1000)} s`)
}

/** A /24 of loopback addresses (127.0.<slot>.0) that no other sandbox or fleet uses. */
export async function claimSlot(owner: number | string = process.pid): Promise<number> {
  await mkdir(SLOT_DIR, {recursive: true})
  for (let slot = 10; slot < 250; slot++) {
    const file = path.join(SLOT_DIR, String(slot))
    try {
      // a slot whose first address answers belongs to sandboxes started by another (perhaps finished) process
      if (await answers(`127.0.${slot}.2`, 22)) continue
      const fh = await open(file, 'wx')
      await fh.write(String(owner))
      await fh.close()
      return slot
    } catch {
      if (await dropStaleClaim(file, slot)) slot--
    }
  }
  throw new Error(`no free sandbox address range under ${SLOT_DIR}`)
}

/** Remove a slot's claim when its owner is gone (no such process, nothing answering on the slot), and say so. */
const dropStaleClaim = (file: string, slot: number) => dropStale(file, async (pid) => !processAlive(pid) && !(await answers(`127.0.${slot}.2`, 22)))

export async function releaseSlot(slot: number): Promise<void> {
  await rm(path.join(SLOT_DIR, String(slot)), {force: true})
}

export async function keygen(file: string, comment = 'dops'): Promise<void> {
  await exec('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file])
}

export function sshdConfig(o: {address: string; port: number; hostKey: string; authorizedKeys: string}): string {
  return [
    `ListenAddress ${o.address}:${o.port}`,
    `HostKey ${o.hostKey}`,
    `AuthorizedKeysFile ${o.authorizedKeys}`,
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

export interface SandboxHostFiles {
  name: string
  /** the host's directory: fs/<dir> are its private directories, sshd_config, its key, sshd.log */
  dir: string
}

/** Create the host's private directories and host key; returns the public key line's type and base64. */
export async function prepareSandboxHost(h: SandboxHostFiles): Promise<{type: string; key: string}> {
  const problem = sandboxDirProblem(h.dir)
  if (problem) throw new DopsError('SANDBOX_DIR', problem, {exitCode: ExitCode.INVALID_INPUT})
  await Promise.all(SANDBOX_DIRS.map((d) => mkdir(path.join(h.dir, 'fs', d), {recursive: true})))
  const keyFile = path.join(h.dir, 'ssh_host_ed25519_key')
  if (!existsSync(keyFile)) await keygen(keyFile, h.name)
  const [type, key] = (await readFile(keyFile + '.pub', 'utf8')).split(' ')
  return {type: type!, key: key!}
}

/**
 * Start the host's sshd in its namespaces; the process outlives this one (detached) until killed. sshd needs its
 * privilege separation directory (/run/sshd, made by systemd on a machine where the ssh service has run): made here.
 */
export function launchSandbox(h: SandboxHostFiles): ChildProcess {
  const mounts = SANDBOX_DIRS.map((d) => `mkdir -p /${d} && mount --bind ${shQuote(`${h.dir}/fs/${d}`)} /${d}`).join(' && ')
  const script = `hostname ${shQuote(h.name)} && mkdir -p -m 0755 /run/sshd && ${mounts} && exec /usr/sbin/sshd -D -e ${sshdConfigArg(h.dir)}`
  const child = spawn('unshare', ['--mount', '--uts', '--pid', '--fork', '--kill-child', '--mount-proc', '--propagation', 'private', '/bin/sh', '-c', script], {
    // sshd's own errors go to sshd.log; a pipe would keep this process alive
    stdio: ['ignore', 'ignore', openSync(path.join(h.dir, 'sshd.log'), 'a')],
    detached: true,
  })
  // a failed spawn is seen by waitForSandbox (no pid, an exit code), never an unhandled 'error' event
  child.on('error', () => undefined)
  child.unref()
  return child
}

/** Stop a sandbox host: SIGKILL to `unshare` makes the kernel kill the namespace's init and every process in it. */
export function killSandbox(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL')
  } catch {
    // already gone
  }
}
