import {BaseCommand, targetFlags} from '../../cli/base.js'
import {formatTable} from '../../cli/table.js'
import {resolvePlanFile} from '../../serve/schedules/run-now.js'
import {listSchedules, type ScheduleView} from '../../serve/schedules/view.js'
import path from 'node:path'

export default class ScheduleList extends BaseCommand {
  static override summary = "The plan's schedules: when each runs next, what it runs, and its last run."
  static override description = `Next runs are computed from each schedule's cron expression (UTC unless it names a timezone). The
last run is read from the shared schedule state that \`dops serve\` keeps beside its lease (the plan's state
backend: .dops/serve/schedules.json, or an object beside the state in S3).`

  static override examples = ['<%= config.bin %> schedule list', '<%= config.bin %> schedule list -f ops/dops.yml --json']
  static override flags = {file: targetFlags.file}

  async run(): Promise<{schedules: ScheduleView[]}> {
    const {flags} = await this.parse(ScheduleList)
    const planFile = await resolvePlanFile(process.cwd(), flags.file)
    const schedules = await listSchedules({planFile, projectDir: path.dirname(planFile)})
    if (!this.jsonEnabled()) {
      const rows = schedules.map((s) => [
        s.name,
        s.cron,
        s.timezone,
        s.env,
        s.what,
        s.overlap,
        s.enabled ? s.next.join(', ') : 'disabled',
        s.last ? `${s.last.state} ${s.last.at} (${s.last.jobId})` : '-',
      ])
      if (rows.length) process.stdout.write(formatTable(['NAME', 'CRON', 'TIMEZONE', 'ENV', 'WHAT', 'OVERLAP', 'NEXT RUNS', 'LAST RUN'], rows) + '\n')
      else process.stdout.write('no schedules in the plan\n')
    }
    return {schedules}
  }
}
