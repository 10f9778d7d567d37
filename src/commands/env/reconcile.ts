import {BaseCommand, withInterrupt, connectionFrom, envFlags, exitCodesHelp} from '../../cli/base.js'
import {formatEnvReport} from '../../cli/env-format.js'
import {colorFor} from '../../cli/format.js'
import {envUp, type EnvReport} from '../../env/env-job.js'
import {withEnvProgress} from '../../cli/env-progress.js'
import {outputMode} from '../../cli/progress.js'

export default class EnvReconcile extends BaseCommand {
  static override summary = 'Bring hosts that appeared without dops (an Auto Scaling replacement) to the group: bootstrap, current app revision, events; forget hosts that are gone.'
  static override description = `Compares each provider group with what its provider reports: hosts it has that the state does not are
adopted (bootstrapped, given the group's current app revision, announced with hostsJoined); recorded hosts that
no longer exist are dropped (hostsLeft). Nothing is created or destroyed, so it can run from a schedule.

${exitCodesHelp}`

  static override examples = ['<%= config.bin %> env reconcile -f examples/local/dops.yml', '<%= config.bin %> env reconcile -e prod --json']
  static override flags = {
    ...envFlags,
  }

  async run(): Promise<EnvReport> {
    const {flags} = await this.parse(EnvReconcile)
    const r = await withInterrupt('stopping: the step in progress finishes, nothing new starts', (stopSignal) =>
      withEnvProgress(outputMode(this.jsonEnabled()), 'env reconcile', (reporter) => envUp({source: {cwd: process.cwd(), planFile: flags.file, env: flags.env}, connection: connectionFrom(flags), reconcile: true, reporter, stopSignal})),
    )
    if (!this.jsonEnabled()) process.stderr.write(formatEnvReport(colorFor(process.stderr), r) + '\n')
    this.setExitCode(r.exitCode)
    return r
  }
}
