import {BaseCommand, envParamsFrom, envFlags, exitCodesHelp} from '../../cli/base.js'
import {envUp, type EnvReport} from '../../env/env-job.js'
import {runEnvCommand} from '../../cli/env-progress.js'

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
    const r = await runEnvCommand(this.jsonEnabled(), 'env reconcile', (reporter, stopSignal) => envUp({...envParamsFrom(flags), reconcile: true, reporter, stopSignal}))
    this.setExitCode(r.exitCode)
    return r
  }
}
