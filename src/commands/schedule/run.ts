import {Args} from '@oclif/core'
import {BaseCommand, exitCodesHelp, targetFlags, withInterrupt} from '../../cli/base.js'
import {runDeployCommand} from '../../cli/deploy-run.js'
import {colorFor, formatSummary} from '../../cli/format.js'
import {outputMode, withRunProgress} from '../../cli/progress.js'
import type {DeployReport} from '../../deploy/deploy-job.js'
import type {RunJournal} from '../../fleet/journal.js'
import {runJob} from '../../run-job.js'
import {deployParamsOf, findSchedule, recordCliRun, runParamsOf} from '../../serve/schedules/run-now.js'

export default class ScheduleRun extends BaseCommand {
  static override summary = 'Run a schedule now, from here, as `dops run` or `dops deploy` would.'
  static override description = `Runs what the schedule names (its \`run\` command or script on its hosts, or its \`deploy\`) once,
now, whatever its cron expression says, and records the result as the schedule's last run.

${exitCodesHelp}`

  static override examples = ['<%= config.bin %> schedule run nightly-cleanup', '<%= config.bin %> schedule run release --json']
  static override args = {name: Args.string({description: 'the schedule (a key of `schedules:` in the plan)', required: true})}
  static override flags = {file: targetFlags.file}

  async run(): Promise<RunJournal | DeployReport> {
    const {args, flags} = await this.parse(ScheduleRun)
    const t = await findSchedule(process.cwd(), flags.file, args.name)
    const mode = outputMode(this.jsonEnabled())
    const startedAt = new Date()
    if (t.entry.job.kind === 'deploy') {
      const p = deployParamsOf(t)
      const report = await runDeployCommand(mode, `schedule ${t.entry.name}: deploying ${p.app}`, {app: p.app, stream: false, plan: false}, {source: p.source, revision: p.revision})
      await recordCliRun(t, report.deploymentId, report.exitCode, startedAt)
      return report
    }
    const journal = await withInterrupt('stopping: no new host will start; in-flight hosts finish', (stopSignal) =>
      withRunProgress({mode, stream: false, total: 0, title: `schedule ${t.entry.name}`}, (reporter) => runJob({...runParamsOf(t), reporter, stopSignal})),
    )
    if (mode !== 'json') process.stderr.write(formatSummary(colorFor(process.stderr), journal.summary, journal.durationMs, journal.results) + '\n')
    await recordCliRun(t, journal.runId, journal.exitCode, startedAt)
    this.setExitCode(journal.exitCode)
    return journal
  }
}
