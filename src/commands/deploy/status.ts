import {Flags} from '@oclif/core'
import {BaseCommand, connectionFlags, connectionFrom, selectionFrom, targetFlags} from '../../cli/base.js'
import {colorFor} from '../../cli/format.js'
import {formatTable, indent} from '../../cli/table.js'
import {statusJob, type StatusReport} from '../../deploy/status-job.js'
import {ExitCode} from '../../errors.js'

export default class DeployStatus extends BaseCommand {
  static override summary = 'Which revision each host runs, and which hosts differ from their group (exit 3 when some hosts are unreachable, 4 when none answers).'
  static override examples = ['<%= config.bin %> deploy status -e prod', '<%= config.bin %> deploy status -e prod -a storefront --json']
  static override flags = {...targetFlags, ...connectionFlags, app: Flags.string({char: 'a', description: 'app (default: the plan\'s only app)'})}

  async run(): Promise<StatusReport> {
    const {flags} = await this.parse(DeployStatus)
    const r = await statusJob({
      source: {cwd: process.cwd(), planFile: flags.file, env: flags.env},
      selection: selectionFrom(flags),
      connection: connectionFrom(flags),
      app: flags.app,
    })
    if (!this.jsonEnabled()) {
      const c = colorFor(process.stdout)
      for (const [g, s] of Object.entries(r.groups)) process.stdout.write(`${c.bold(g)}: ${s.revision?.slice(0, 12) ?? 'not deployed'} on ${s.hosts - s.differing.length}/${s.hosts} hosts${s.differing.length ? c.yellow(`; differing: ${s.differing.join(', ')}`) : ''}\n`)
      const rows = r.hosts.map((h) => [h.host, `${h.reachable ? (h.revision?.slice(0, 12) ?? 'none') : c.red('unreachable')}${h.differs ? c.yellow(' (differs)') : ''}`, h.last ? c.dim(`${h.last.deployment} ${h.last.status}`) : ''])
      if (rows.length) process.stdout.write(indent(formatTable(['HOST', 'REVISION', 'LAST DEPLOYMENT'], rows, process.stdout, 2), 2) + '\n')
    }
    // like env status and logs: a host that could not be asked is a failure to see (3), none reachable is 4
    const unreachable = r.hosts.filter((h) => !h.reachable).length
    this.setExitCode(unreachable === 0 ? ExitCode.OK : unreachable === r.hosts.length ? ExitCode.NONE_SUCCEEDED : ExitCode.SOME_FAILED)
    return r
  }
}
