import {Flags} from '@oclif/core'
import {BaseCommand, targetFlags} from '../../cli/base.js'
import {historyJob} from '../../deploy/status-job.js'
import {formatMs} from '../../util/duration.js'
import {colorFor, formatProblems} from '../../cli/format.js'
import {formatTable} from '../../cli/table.js'

export default class DeployHistory extends BaseCommand {
  static override summary = 'The deployments and rollbacks recorded in this project (.dops/deployments).'
  static override examples = ['<%= config.bin %> deploy history -e prod', '<%= config.bin %> deploy history --json']
  static override flags = {file: targetFlags.file, env: targetFlags.env, app: Flags.string({char: 'a', description: 'only this app'})}

  async run(): Promise<Awaited<ReturnType<typeof historyJob>>> {
    const {flags} = await this.parse(DeployHistory)
    const r = await historyJob({source: {cwd: process.cwd(), planFile: flags.file, env: flags.env}, app: flags.app})
    if (!this.jsonEnabled()) {
      if (r.problems.length) process.stderr.write(formatProblems(colorFor(process.stderr), r.problems) + '\n')
      const rows = r.deployments.map((d) => [d.deploymentId, d.kind, `${d.env}/${d.app}`, d.revision.slice(0, 12), d.status, `${d.ok} ok, ${d.failed} not ok`, formatMs(d.durationMs), d.startedAt])
      if (rows.length) process.stdout.write(formatTable(['ID', 'KIND', 'ENV/APP', 'REVISION', 'STATUS', 'HOSTS', 'TIME', 'STARTED'], rows) + '\n')
      else process.stdout.write('no deployments recorded\n')
    }
    return r
  }
}
