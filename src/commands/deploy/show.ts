import {Args, Flags} from '@oclif/core'
import {BaseCommand, targetFlags} from '../../cli/base.js'
import {formatDeployShow} from '../../cli/deploy-show-format.js'
import {colorFor, formatProblems} from '../../cli/format.js'
import {showJob, type ShowReport} from '../../deploy/show-job.js'

export default class DeployShow extends BaseCommand {
  static override summary = 'One recorded deployment in detail: each host\'s lifecycle events with status, duration and output.'
  static override description = `ID is a deployment id as \`dops deploy history\` shows it (or its first characters), or \`latest\`.
Every failed event shows its last lines of output; with --host, every event of that host does.`

  static override examples = ['<%= config.bin %> deploy show latest -e prod', '<%= config.bin %> deploy show d-20260101-120000-ab12cd --host web01', '<%= config.bin %> deploy show latest --json']
  static override args = {id: Args.string({description: 'deployment id (or `latest`)', required: true})}
  static override flags = {
    file: targetFlags.file,
    env: targetFlags.env,
    app: Flags.string({char: 'a', description: 'with `latest`: the latest deployment of this app'}),
    host: Flags.string({char: 'H', description: 'only this host (repeatable, or comma-separated)', multiple: true, multipleNonGreedy: true, delimiter: ','}),
  }

  async run(): Promise<ShowReport> {
    const {args, flags} = await this.parse(DeployShow)
    const r = await showJob({source: {cwd: process.cwd(), planFile: flags.file, env: flags.env}, id: args.id, app: flags.app, hosts: flags.host})
    if (r.problems.length) process.stderr.write(formatProblems(colorFor(process.stderr), r.problems) + '\n')
    if (!this.jsonEnabled()) process.stdout.write(formatDeployShow(colorFor(process.stdout), r, !!flags.host?.length) + '\n')
    return r
  }
}
