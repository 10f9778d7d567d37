import {Flags} from '@oclif/core'
import {BaseCommand, connectionFlags, connectionFrom, selectionFrom, targetFlags} from '../cli/base.js'
import {colorFor} from '../cli/format.js'
import {formatHostDescription, formatHostsTable} from '../cli/hosts-format.js'
import {describeHosts, findHost, type HostDescription, type HostsDescription} from '../inventory/describe.js'
import {resolveTargets, selectTargets} from '../targets.js'

const {'max-handshakes': _m, ...connection} = connectionFlags

export default class Hosts extends BaseCommand {
  static override summary = 'List the resolved hosts, or show where and how dops connects to one, and its variables.'
  static override description = `Resolves the hosts of the plan's environment (or of an Ansible inventory, -i) with ssh_config and the
connection flags, exactly as the commands that connect do, and connects to nothing.

--json prints, for each host, its resolved connection (address, port, user, identity files in order, jump hosts
each resolved, proxy command, known_hosts files, host key checking, timeouts), where address, port and user came
from, and its merged variables with the plan's secrets replaced by ***: the equivalent of \`ssh -G\` and
\`ansible-inventory --host\`. --show HOST prints the same for one host, readable.`

  static override examples = [
    '<%= config.bin %> hosts',
    '<%= config.bin %> hosts -e prod -g web --json',
    '<%= config.bin %> hosts -i inventory.yml -g dbservers',
    '<%= config.bin %> hosts --show web-1',
    '<%= config.bin %> hosts -i inventory.ini --ssh-config ./ssh_config --show db1 --json',
  ]

  static override flags = {
    ...targetFlags,
    ...connection,
    show: Flags.string({description: 'show one host (by name or address): its resolved connection and variables'}),
  }

  async run(): Promise<HostsDescription | (HostDescription & {sshConfig: string | null})> {
    const {flags} = await this.parse(Hosts)
    const t = await resolveTargets({cwd: process.cwd(), planFile: flags.file, env: flags.env, inventory: flags.inventory})
    const hosts = selectTargets(t, selectionFrom(flags))
    const chosen = flags.show === undefined ? hosts : [findHost(hosts, flags.show, t.envName ? ` in environment ${t.envName}` : '')]
    // the table lists hosts as listed: it reads no ssh_config (whose `Match exec` would run commands per host)
    if (flags.show === undefined && !this.jsonEnabled()) {
      process.stdout.write(formatHostsTable(hosts) + '\n')
      return {sshConfig: null, hosts: []}
    }
    const d = describeHosts(t, chosen, connectionFrom(flags))
    if (flags.show !== undefined) {
      const one = {...d.hosts[0]!, sshConfig: d.sshConfig}
      if (!this.jsonEnabled()) process.stdout.write(formatHostDescription(colorFor(process.stdout), one, d.sshConfig) + '\n')
      return one
    }
    return d
  }
}
