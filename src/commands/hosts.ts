import {BaseCommand, selectionFrom, targetFlags} from '../cli/base.js'
import {formatTable} from '../cli/table.js'
import type {Host} from '../inventory/host.js'
import {resolveTargets, selectTargets} from '../targets.js'

export default class Hosts extends BaseCommand {
  static override summary = 'List the resolved hosts with their group, labels and address.'
  static override examples = ['<%= config.bin %> hosts', '<%= config.bin %> hosts -e prod -g web --json', '<%= config.bin %> hosts -i inventory.yml -g dbservers']

  static override flags = {...targetFlags}

  async run(): Promise<{hosts: Array<Omit<Host, 'ssh'>>}> {
    const {flags} = await this.parse(Hosts)
    const t = await resolveTargets({cwd: process.cwd(), planFile: flags.file, env: flags.env, inventory: flags.inventory})
    const hosts = selectTargets(t, selectionFrom(flags))
    // vars can hold secrets; they are left out of the listing
    const list = hosts.map(({ssh: _ssh, vars: _vars, ...h}) => ({...h, vars: Object.fromEntries(Object.keys(_vars).map((k) => [k, '…']))}))
    if (!this.jsonEnabled()) {
      const rows = list.map((h) => [h.name, h.group, `${h.user ? h.user + '@' : ''}${h.address}${h.port ? ':' + h.port : ''}`, Object.entries(h.labels).filter(([k]) => k !== 'group' && k !== 'env').map(([k, v]) => `${k}=${v}`).join(',')])
      process.stdout.write(formatTable(['NAME', 'GROUP', 'ADDRESS', 'LABELS'], rows) + '\n')
    }
    return {hosts: list as Array<Omit<Host, 'ssh'>>}
  }
}
