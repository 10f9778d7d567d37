import {BaseCommand, envFlags, envParamsFrom} from '../../cli/base.js'
import {colorFor} from '../../cli/format.js'
import {formatTable} from '../../cli/table.js'
import {monitorTargets, type TargetsReport} from '../../monitor/targets-job.js'

export default class MonitorTargets extends BaseCommand {
  static override summary = "Show the Prometheus targets of an environment's groups, and whether their files say so."
  static override description = `With \`monitoring:\` in the plan, every env command that changes an environment's hosts (env up, scale, reconcile, env down) rewrites the file_sd target files of the groups that changed, in monitoring.targets.dir: one file per group, dops_<project>_<env>_<group>.json, each ready host once per exporter, labelled project, env, group, role, host and exporter.

Point Prometheus at them with: file_sd_configs: [{files: ['<dir>/dops_*.json']}]

This command reads the state and the files and connects to nothing. REGISTERED says whether the file on disk lists exactly these targets (if not, dops env up writes it).`

  static override examples = ['<%= config.bin %> monitor targets -e prod', '<%= config.bin %> monitor targets --json']
  static override flags = {...envFlags}

  async run(): Promise<TargetsReport> {
    const {flags} = await this.parse(MonitorTargets)
    const r = await monitorTargets(envParamsFrom(flags))
    if (!this.jsonEnabled()) {
      const c = colorFor(process.stdout)
      const rows = r.groups.flatMap((g) => g.targets.map((t) => [g.group, t.labels.host!, t.targets.join(','), t.labels.exporter!, g.registered ? 'yes' : c.yellow('no')]))
      process.stdout.write(rows.length ? formatTable(['GROUP', 'HOST', 'TARGET', 'EXPORTER', 'REGISTERED'], rows) + '\n' : 'no targets\n')
      process.stderr.write(`targets directory: ${r.dir}\n`)
    }
    return r
  }
}
