import {BaseCommand} from '../cli/base.js'
import {ONE_HOST_EXIT_CODES, oneHostArgs, oneHostFlags, oneHostFrom} from '../cli/one-host-flags.js'
import {runSystemSsh, sshArgsFor} from '../cli/system-ssh.js'
import {InvalidInputError} from '../errors.js'

export interface ExecResultJson {
  host: string
  command: string
  exitCode: number
  stdout: string
  stderr: string
  truncated: boolean
}

export default class Exec extends BaseCommand {
  static override summary = 'Run one command on one host, with a terminal when asked (-t); exits with its exit code.'
  static override description = `Resolves HOST as \`dops ssh\` does and runs COMMAND there through the system \`ssh\` (the host key is
checked by OpenSSH against the same known_hosts files). The arguments after -- are joined with spaces into one
remote command line, as ssh does: quote what the remote shell must not split. Output and input go straight
through; -t gives the command a terminal (for top, sudo prompts, editors). With --json, the output is captured
and printed as one document with the exit code.

${ONE_HOST_EXIT_CODES}`

  static override examples = [
    '<%= config.bin %> exec web-1 -- uptime',
    '<%= config.bin %> exec web-1 -t -- htop',
    "<%= config.bin %> exec db1 -e prod -- 'pg_dump shop | gzip > /srv/backup.gz'",
    '<%= config.bin %> exec web-1 --json -- cat /etc/os-release',
  ]

  static override usage = '<%= command.id %> HOST [FLAGS] -- COMMAND [ARGS...]'
  static override strict = false
  static override args = oneHostArgs
  static override flags = oneHostFlags

  async run(): Promise<ExecResultJson | void> {
    const {args, argv, flags} = await this.parse(Exec)
    const command = (argv as string[]).slice(1).join(' ')
    if (!command.trim()) throw new InvalidInputError('no command: dops exec HOST -- COMMAND [ARGS...]')
    if (flags.tty && this.jsonEnabled()) throw new InvalidInputError('--tty and --json cannot be used together: a terminal is not captured')
    const h = await oneHostFrom(flags, args.host)
    const json = this.jsonEnabled()
    const r = await runSystemSsh(h, sshArgsFor(h, {tty: flags.tty ? 'force' : 'none', command}), json)
    this.setExitCode(r.exitCode)
    if (json) return {host: h.host.name, command, exitCode: r.exitCode, stdout: r.stdout ?? '', stderr: r.stderr ?? '', truncated: r.truncated ?? false}
  }
}
