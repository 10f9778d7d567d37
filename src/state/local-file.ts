/**
 * The environment's state in a local file (`.dops/state/<project>-<env>.json`): written atomically (temp file +
 * rename) and locked while a command changes it (an O_EXCL lock file naming its pid; a dead owner's lock is
 * recovered). The interface is small so a shared backend (S3 with a lock) can implement it too.
 */
import {mkdir, open, readFile, rm} from 'node:fs/promises'
import {setTimeout as sleep} from 'node:timers/promises'
import path from 'node:path'
import {DopsError, ExitCode} from '../errors.js'
import {processAlive} from '../util/process.js'
import {writeJsonAtomic} from '../util/atomic-json.js'
import {parseState} from './validate.js'

export interface InstanceState {
  id: string
  name: string
  address: string
  port: number
  user: string
  identityFile?: string
  /** the known_hosts file where the provider recorded the host's key (checked before ssh_config's files) */
  knownHosts?: string
  createdAt: string
  /** false from creation until the host answered SSH and its bootstrap succeeded (`env up` prepares it again) */
  ready?: boolean
  data: Record<string, unknown>
}

export interface EnvState {
  version: 1
  project: string
  env: string
  groups: Record<string, {provider: string; instances: InstanceState[]; scaled?: {desired: number; planCount: number}}>
  /**
   * Static groups (hosts listed in the plan or its inventories): the hosts that joined the environment, so each is
   * bootstrapped once and announced once. Absent in states written before dops recorded them: every static host then
   * joins (bootstrap, hostsJoined) on the next `env up`.
   */
  static?: Record<string, {hosts: StaticHostState[]}>
  /**
   * Environment-level resources dops made, by kind (`loadBalancers`, `dns`, ...): what each EnvResource recorded
   * (ids, ARNs, the records it owns: Route 53 records carry no tags), so plan and down know what is theirs.
   */
  resources?: Record<string, unknown>
  /** `env restore`: the environment this one was restored from, and when */
  restoredFrom?: {env: string; at: string; revisions: Record<string, string>}
  updatedAt?: string
}

/** A static host that joined the environment. Nothing on the host is ever created, destroyed or cleaned by dops. */
export interface StaticHostState {
  name: string
  address: string
  port?: number
  joinedAt: string
  /** false from joining until its bootstrap succeeded (and, when it has apps, it answered SSH) */
  ready?: boolean
  /** fingerprint of the bootstrap it ran (scripts' content and their spec): another one means bootstrap again */
  bootstrap?: string
}

export interface StateBackend {
  read(): Promise<EnvState>
  write(s: EnvState): Promise<void>
  withLock<T>(fn: () => Promise<T>): Promise<T>
  /** who holds the lock now, if anyone */
  lockHolder(): Promise<string | undefined>
  /** remove the lock whoever holds it (`dops env unlock`): the holder it removed, or undefined when it was free */
  forceUnlock(): Promise<string | undefined>
}

export function emptyState(project: string, env: string): EnvState {
  return {version: 1, project, env, groups: {}}
}

export class LocalStateFile implements StateBackend {
  readonly file: string
  constructor(
    projectDir: string,
    private readonly project: string,
    private readonly env: string,
  ) {
    this.file = path.join(projectDir, '.dops', 'state', `${project}-${env}.json`)
  }

  async read(): Promise<EnvState> {
    let text: string
    try {
      text = await readFile(this.file, 'utf8')
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return emptyState(this.project, this.env)
      throw new DopsError('STATE_UNREADABLE', `cannot read the environment state ${this.file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, {exitCode: ExitCode.INVALID_INPUT})
    }
    return parseState(this.file, text)
  }

  async write(s: EnvState): Promise<void> {
    // never replace a corrupt state that was not read: it may be the only record of the hosts dops created
    await this.read()
    await writeJsonAtomic(this.file, {...s, updatedAt: new Date().toISOString()})
  }

  async lockHolder(): Promise<string | undefined> {
    const pid = (await readFile(`${this.file}.lock`, 'utf8').catch(() => '')).trim()
    return pid ? `process ${pid} on this machine${processAlive(Number(pid)) ? '' : ' (no longer running)'}` : undefined
  }

  async forceUnlock(): Promise<string | undefined> {
    const holder = await this.lockHolder()
    await rm(`${this.file}.lock`, {force: true})
    await rm(`${this.file}.lock.takeover`, {force: true})
    return holder
  }

  async withLock<T>(fn: () => Promise<T>): Promise<T> {
    const lock = `${this.file}.lock`
    await mkdir(path.dirname(lock), {recursive: true})
    // bounded: a takeover by another process takes milliseconds
    for (let attempt = 0; attempt < 200; attempt++) {
      if (await createExclusive(lock)) {
        try {
          return await fn()
        } finally {
          await rm(lock, {force: true})
        }
      }
      const pid = await readPid(lock)
      if (pid === undefined) {
        await sleep(10)
        continue
      }
      if (processAlive(pid)) throw new DopsError('STATE_LOCKED', `the environment state ${this.file} is locked by process ${pid} (another dops env command); wait for it to finish`, {exitCode: ExitCode.DEPLOY_LOCKED})
      if (!(await this.removeStaleLock(lock, pid))) await sleep(10)
    }
    throw new DopsError('STATE_LOCKED', `cannot lock ${this.file}: its lock file ${lock} stayed without a live owner; if no dops command is running, remove it with: dops env unlock`, {exitCode: ExitCode.DEPLOY_LOCKED})
  }

  /**
   * Remove a lock left by a dead process, atomically: only the holder of `<lock>.takeover` (O_EXCL) removes it, and
   * only if it still names that dead process. Nothing else removes a lock whose owner is dead, so the file read is
   * the file removed; a new lock is then created with O_EXCL as usual, so exactly one process gets it.
   */
  private async removeStaleLock(lock: string, deadPid: number): Promise<boolean> {
    const takeover = `${lock}.takeover`
    if (!(await createExclusive(takeover))) {
      const other = await readPid(takeover)
      if (other === undefined || processAlive(other)) return false
      throw new DopsError('STATE_LOCKED', `the environment state ${this.file} has a lock left by process ${deadPid}, and process ${other} died while taking it over (${takeover}); if no dops command is running, remove both with: dops env unlock`, {exitCode: ExitCode.DEPLOY_LOCKED})
    }
    try {
      if ((await readPid(lock)) === deadPid) await rm(lock, {force: true})
      return true
    } finally {
      await rm(takeover, {force: true})
    }
  }
}

/** Create `file` holding this process's pid; false if it exists. */
async function createExclusive(file: string): Promise<boolean> {
  let fh
  try {
    fh = await open(file, 'wx')
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw e
  }
  try {
    await fh.write(String(process.pid))
  } finally {
    await fh.close()
  }
  return true
}

/** The pid in a lock file; undefined when it is gone or not written yet (its creator writes right after O_EXCL). */
async function readPid(file: string): Promise<number | undefined> {
  const text = (await readFile(file, 'utf8').catch(() => '')).trim()
  return /^\d+$/.test(text) ? Number(text) : undefined
}
