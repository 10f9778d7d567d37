/**
 * Run the system `ssh` for `dops ssh` and `dops exec`: on the terminal (stdio inherited: a shell, a TTY with -t),
 * or captured for --json. Ctrl-C belongs to ssh and the remote command while it runs; dops ends with ssh's code.
 */
import {spawn} from 'node:child_process'
import {mkdirSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {DopsError, ExitCode} from '../errors.js'
import type {OneHost} from '../ops/one-host.js'
import {systemSshArgs, type SystemSshOptions} from '../ops/ssh-command.js'

export interface SystemSshResult {
  exitCode: number
  stdout?: string
  stderr?: string
  truncated?: boolean
}

/** What is kept per stream with --json (the rest is counted as truncated). */
const MAX_CAPTURE = 16 * 1024 * 1024

export function sshArgsFor(h: OneHost, o: Pick<SystemSshOptions, 'tty' | 'command'>): string[] {
  return systemSshArgs(h.target, {configFile: h.configFile, noAgent: h.noAgent, ...o})
}

export async function runSystemSsh(h: OneHost, args: string[], capture: boolean): Promise<SystemSshResult> {
  // accept-new records the key in the first known_hosts file: OpenSSH does not create its directory
  if (h.target.hostKeyChecking === 'accept-new' && h.target.knownHostsFiles[0]) mkdirSync(path.dirname(h.target.knownHostsFiles[0]), {recursive: true})
  const ignore = () => {}
  process.on('SIGINT', ignore)
  process.on('SIGQUIT', ignore)
  try {
    return await new Promise<SystemSshResult>((resolve, reject) => {
      const child = spawn('ssh', args, {stdio: capture ? ['inherit', 'pipe', 'pipe'] : 'inherit'})
      const out = {stdout: '', stderr: ''}
      let truncated = false
      for (const which of ['stdout', 'stderr'] as const) {
        child[which]?.setEncoding('utf8').on('data', (s: string) => {
          if (out[which].length + s.length <= MAX_CAPTURE) out[which] += s
          else truncated = true
        })
      }
      child.on('error', (e: NodeJS.ErrnoException) =>
        reject(e.code === 'ENOENT' ? new DopsError('NO_SSH', 'the OpenSSH client `ssh` is not installed (apt-get install openssh-client)', {exitCode: ExitCode.INVALID_INPUT}) : e),
      )
      child.on('close', (code, signal) => {
        const exitCode = code ?? 128 + (signal ? (os.constants.signals[signal] ?? 0) : 0)
        resolve(capture ? {exitCode, ...out, truncated} : {exitCode})
      })
    })
  } finally {
    process.off('SIGINT', ignore)
    process.off('SIGQUIT', ignore)
  }
}
