import {BaseCommand} from '../cli/base.js'
import {ONE_HOST_EXIT_CODES, oneHostArgs, oneHostFlags, oneHostFrom} from '../cli/one-host-flags.js'
import {runSystemSsh, sshArgsFor} from '../cli/system-ssh.js'

export default class Ssh extends BaseCommand {
  static override summary = 'Open a shell on one host, connected as every other dops command connects.'
  static override description = `Resolves HOST (a name or an address) from the plan and its environment's state, or from an Ansible
inventory (-i), with ssh_config and the connection flags, then runs the system \`ssh\` with those settings as
explicit options (HostName, Port, User, IdentityFile, UserKnownHostsFile, StrictHostKeyChecking, ProxyJump):
the host key is checked by OpenSSH itself, against the same known_hosts files and with the same policy.

With a command after --, runs it instead of a shell (see also \`dops exec\`).
--json prints the resolved connection and the ssh command line, and connects to nothing.

${ONE_HOST_EXIT_CODES}`

  static override examples = [
    '<%= config.bin %> ssh web-1',
    '<%= config.bin %> ssh web-1 -e prod',
    '<%= config.bin %> ssh db1 -- sudo tail /var/log/syslog',
    '<%= config.bin %> ssh web-1 --json',
  ]

  static override usage = '<%= command.id %> HOST [FLAGS] [-- COMMAND [ARGS...]]'
  static override strict = false
  static override args = oneHostArgs
  static override flags = oneHostFlags

  async run(): Promise<{host: string; address: string; port: number; user: string; command: string[]} | void> {
    const {args, argv, flags} = await this.parse(Ssh)
    const command = (argv as string[]).slice(1)
    const h = await oneHostFrom(flags, args.host)
    const sshArgs = sshArgsFor(h, {tty: flags.tty ? 'force' : 'auto', command: command.length ? command.join(' ') : undefined})
    if (this.jsonEnabled()) return {host: h.host.name, address: h.target.address, port: h.target.port, user: h.target.user, command: ['ssh', ...sshArgs]}
    const r = await runSystemSsh(h, sshArgs, false)
    this.setExitCode(r.exitCode)
  }
}
