/** Build the SSH transport for a run from the plan's settings and command-line overrides. */
import {existsSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {InvalidInputError} from '../errors.js'
import type {SshSettings} from '../plan/types.js'
import {SshConfigFile} from './ssh-config.js'
import {SshTransport} from './ssh.js'

export interface TransportSettings {
  projectDir: string
  /** plan-level ssh settings (for `config` and `maxHandshakes`) */
  planSsh?: SshSettings
  sshConfig?: string
  identityFile?: string
  user?: string
  knownHosts?: string[]
  hostKeyChecking?: 'strict' | 'accept-new'
  maxHandshakes?: number
  env?: NodeJS.ProcessEnv
  onHostKeyLearned?: (host: string, fingerprint: string, file: string) => void
}

/** The ssh_config a command honours: the flag's, the plan's `ssh.config`, or ~/.ssh/config when it exists. */
export function readSshConfig(s: Pick<TransportSettings, 'projectDir' | 'planSsh' | 'sshConfig'>): SshConfigFile {
  const planConfig = s.planSsh?.config
  let sshConfig = SshConfigFile.empty()
  const explicit = s.sshConfig ?? (typeof planConfig === 'string' ? path.resolve(s.projectDir, planConfig.replace(/^~(?=\/)/, os.homedir())) : undefined)
  try {
    if (explicit) sshConfig = SshConfigFile.read(explicit, true)
    else if (planConfig !== false) {
      const def = path.join(os.homedir(), '.ssh', 'config')
      if (existsSync(def)) sshConfig = SshConfigFile.read(def, false)
    }
  } catch (e) {
    throw new InvalidInputError((e as Error).message)
  }
  return sshConfig
}

export function createSshTransport(s: TransportSettings): SshTransport {
  const sshConfig = readSshConfig(s)
  if (s.identityFile && !existsSync(s.identityFile)) throw new InvalidInputError(`identity file ${s.identityFile} does not exist`)
  return new SshTransport({
    projectDir: s.projectDir,
    sshConfig,
    identityFile: s.identityFile,
    user: s.user,
    knownHosts: s.knownHosts,
    hostKeyChecking: s.hostKeyChecking,
    maxHandshakes: s.maxHandshakes ?? s.planSsh?.maxHandshakes,
    env: s.env,
    onHostKeyLearned: s.onHostKeyLearned,
  })
}
