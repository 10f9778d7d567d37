import {Flags} from '@oclif/core'
import {BaseCommand, withInterrupt, connectionFrom, envFlags, exitCodesHelp, terminalConfirm} from '../../cli/base.js'
import {formatEnvReport} from '../../cli/env-format.js'
import {colorFor} from '../../cli/format.js'
import {envDown, type EnvReport} from '../../env/env-job.js'
import {withEnvProgress} from '../../cli/env-progress.js'
import {outputMode} from '../../cli/progress.js'

export default class EnvDown extends BaseCommand {
  static override summary = 'Destroy the hosts dops created for the environment (never static hosts).'
  static override description = `Destroys every host that a provider created for the environment, in reverse dependency order, and clears
its state. Static hosts are never touched. Asks on a terminal; needs --yes elsewhere (CI, --json, a pipe).

${exitCodesHelp}`

  static override examples = ['<%= config.bin %> env down -f examples/local/dops.yml', '<%= config.bin %> env down -e staging --json']
  static override flags = {
    ...envFlags,
    yes: Flags.boolean({char: 'y', description: 'confirm'}),
  }

  async run(): Promise<EnvReport> {
    const {flags} = await this.parse(EnvDown)
    const r = await withInterrupt('stopping: the step in progress finishes, nothing new starts', (stopSignal) =>
      withEnvProgress(outputMode(this.jsonEnabled()), 'env down', (reporter) => envDown({source: {cwd: process.cwd(), planFile: flags.file, env: flags.env}, connection: connectionFrom(flags), yes: flags.yes, confirm: terminalConfirm(this.jsonEnabled()), reporter, stopSignal})),
    )
    if (!this.jsonEnabled()) process.stderr.write(formatEnvReport(colorFor(process.stderr), r) + '\n')
    this.setExitCode(r.exitCode)
    return r
  }
}
