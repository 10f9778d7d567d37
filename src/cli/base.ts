/**
 * The base of every command: --json (the return value is the JSON contract), one error path (no stack traces for
 * user errors), exit codes from the one table, and the host-targeting flags shared by commands that touch hosts.
 */
import {Command, Flags, Errors} from '@oclif/core'
import {DopsError, EXIT_CODE_HELP, ExitCode} from '../errors.js'
import {colorFor, formatProblems} from './format.js'

export abstract class BaseCommand extends Command {
  static override enableJsonFlag = true
  static override baseFlags = {}

  /**
   * Provider plugins: an installed oclif plugin that declares the hook `dops:providers` is called with `register`
   * before the command runs (docs/providers.md). Nothing is loaded when no plugin declares it.
   */
  protected override async init(): Promise<void> {
    await super.init()
    if (!this.config.getPluginsList().some((p) => p.hooks?.['dops:providers'])) return
    const {registerProvider} = await import('../providers/registry.js')
    const r = await this.config.runHook('dops:providers' as never, {register: registerProvider} as never, undefined, true)
    for (const f of r.failures) process.stderr.write(`warning: plugin ${f.plugin.name} did not register its providers: ${f.error.message}\n`)
  }

  /** Structured error output; never a stack trace for a user error. */
  protected override async catch(err: Error & {exitCode?: number; oclif?: {exit?: number}}): Promise<void> {
    if (err instanceof Errors.ExitError) throw err
    let exitCode: number = ExitCode.INTERNAL
    let body: Record<string, unknown>
    if (err instanceof DopsError) {
      exitCode = err.exitCode
      body = {code: err.code, message: err.message, problems: err.problems}
    } else if (err.oclif?.exit !== undefined || err.name === 'CLIError' || /Parse|Flag|Arg/.test(err.constructor?.name ?? '')) {
      exitCode = ExitCode.INVALID_INPUT
      body = {code: 'USAGE', message: err.message}
    } else {
      body = {code: 'INTERNAL', message: err.message}
    }
    process.exitCode = exitCode
    if (this.jsonEnabled()) {
      this.logJson({error: body, exitCode})
      return
    }
    const c = colorFor(process.stderr)
    const lines = [c.red(`error: ${err.message}`)]
    if (err instanceof DopsError && err.problems.length) lines.push(formatProblems(c, err.problems))
    if (exitCode === ExitCode.INTERNAL) {
      lines.push(c.dim('this is a bug in dops; run again with DOPS_DEBUG=1 for a stack trace'))
      if (process.env.DOPS_DEBUG) lines.push(err.stack ?? '')
    }
    if (exitCode === ExitCode.INVALID_INPUT && !(err instanceof DopsError)) lines.push(c.dim(`see: dops ${this.id?.replace(/:/g, ' ') ?? ''} --help`))
    process.stderr.write(lines.join('\n') + '\n')
  }

  /** Set the exit code for a result that is returned (and printed as JSON) rather than thrown. */
  protected setExitCode(code: number): void {
    process.exitCode = code
  }
}

export const exitCodesHelp = EXIT_CODE_HELP

/** Flags of commands that resolve hosts: plan/env or inventory, then selection. */
export const targetFlags = {
  file: Flags.string({char: 'f', description: 'plan file (default: dops.yml in the current directory)', helpGroup: 'TARGET'}),
  env: Flags.string({char: 'e', env: 'DOPS_ENV', description: 'environment of the plan (default: its only environment; env DOPS_ENV)', helpGroup: 'TARGET'}),
  inventory: Flags.string({char: 'i', description: 'Ansible inventory (INI or YAML) to target instead of a plan', helpGroup: 'TARGET'}),
  group: Flags.string({char: 'g', description: 'only hosts of this group (repeatable, or comma-separated)', multiple: true, helpGroup: 'TARGET'}),
  label: Flags.string({char: 'l', description: 'only hosts with this label: key=value or key (repeatable)', multiple: true, helpGroup: 'TARGET'}),
  hosts: Flags.string({char: 'H', description: 'only hosts whose name or address matches: glob, comma list, !pattern excludes (repeatable)', multiple: true, helpGroup: 'TARGET'}),
}

export const connectionFlags = {
  'ssh-config': Flags.string({description: 'ssh_config file to honour (default ~/.ssh/config)', helpGroup: 'CONNECTION'}),
  identity: Flags.string({description: 'private key file', helpGroup: 'CONNECTION'}),
  user: Flags.string({char: 'u', description: 'login user for every host', helpGroup: 'CONNECTION'}),
  'known-hosts': Flags.string({description: 'known_hosts file (repeatable; default .dops/known_hosts and ~/.ssh/known_hosts)', multiple: true, helpGroup: 'CONNECTION'}),
  'host-key-checking': Flags.string({description: 'strict: refuse unknown host keys; accept-new: record keys of hosts never seen. A changed key is always refused.', options: ['strict', 'accept-new'], helpGroup: 'CONNECTION'}),
  'max-handshakes': Flags.integer({description: 'SSH handshakes in progress at once', min: 1, helpGroup: 'CONNECTION'}),
}

/** The transport overrides given by `connectionFlags`. */
export function connectionFrom(flags: {'ssh-config'?: string; identity?: string; user?: string; 'known-hosts'?: string[]; 'host-key-checking'?: string; 'max-handshakes'?: number}) {
  return {
    sshConfig: flags['ssh-config'],
    identityFile: flags.identity,
    user: flags.user,
    knownHosts: flags['known-hosts'],
    hostKeyChecking: flags['host-key-checking'] as 'strict' | 'accept-new' | undefined,
    maxHandshakes: flags['max-handshakes'],
  }
}

/** The selection given by `targetFlags`. */
export function selectionFrom(flags: {group?: string[]; label?: string[]; hosts?: string[]}) {
  return {groups: flags.group, labels: flags.label, names: flags.hosts}
}

/** What every env command passes the core from its flags: where the plan is, which environment, how to connect. */
export function envParamsFrom(flags: {file?: string; env?: string} & Parameters<typeof connectionFrom>[0]) {
  return {source: {cwd: process.cwd(), planFile: flags.file, env: flags.env}, connection: connectionFrom(flags)}
}

/** Flags of the env commands: the plan, the environment, and connection overrides. */
export const envFlags = {
  file: Flags.string({char: 'f', description: 'plan file (default: dops.yml in the current directory)'}),
  env: Flags.string({char: 'e', env: 'DOPS_ENV', description: "environment (default: the plan's only environment; env DOPS_ENV)"}),
  ...connectionFlags,
}

/**
 * A yes/no question on the terminal (stderr), or undefined where nobody can answer: not a terminal, CI, or --json.
 * Commands pass it to the core, which asks only before destroying something.
 */
export function terminalConfirm(json: boolean): ((what: string) => Promise<boolean>) | undefined {
  if (json || process.env.CI || !process.stdin.isTTY || !process.stderr.isTTY) return undefined
  return async (what) => {
    const {createInterface} = await import('node:readline/promises')
    const rl = createInterface({input: process.stdin, output: process.stderr})
    try {
      const answer = await rl.question(`${what}.\nType "yes" to go on: `)
      return answer.trim().toLowerCase() === 'yes'
    } finally {
      rl.close()
    }
  }
}

/**
 * Ctrl-C (or SIGTERM) once: the signal given to `fn` aborts (the core finishes the step in progress and starts
 * nothing new, records what happened and releases its locks). Ctrl-C again: the commands running on hosts are killed
 * (their whole sessions), the connections closed, and the process exits at once (130, or 143 after SIGTERM).
 */
export async function withInterrupt<T>(message: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const stop = new AbortController()
  const onSignal = (sig: NodeJS.Signals) => {
    if (!stop.signal.aborted) {
      process.stderr.write(`\n${message} (Ctrl-C again to stop at once)\n`)
      stop.abort()
      return
    }
    process.stderr.write('\nstopping at once: killing the commands running on hosts\n')
    void import('../transport/live.js')
      .then(({stopAllLive}) => stopAllLive())
      .finally(() => process.exit(sig === 'SIGTERM' ? 143 : 130))
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  try {
    return await fn(stop.signal)
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}
