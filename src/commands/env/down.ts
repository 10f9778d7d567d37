import {Flags} from '@oclif/core'
import {BaseCommand, envParamsFrom, envFlags, exitCodesHelp, terminalConfirm} from '../../cli/base.js'
import {envDown, type DownReport} from '../../env/env-job.js'
import {runEnvCommand} from '../../cli/env-progress.js'

export default class EnvDown extends BaseCommand {
  static override summary = 'Destroy the hosts dops created for the environment (never static hosts).'
  static override description = `Destroys every host that a provider created for the environment, in reverse dependency order, then what else
the provider made for it (Auto Scaling groups, launch templates, security groups), checks that nothing tagged for
the environment remains, and only then clears its state; it says what it removed. A down that fails (something
remains, exit 23) or is interrupted keeps the groups' records: run env down again to finish. Static hosts are never touched. Asks on a terminal; needs --yes elsewhere (CI, --json, a pipe).

${exitCodesHelp}`

  static override examples = ['<%= config.bin %> env down -f examples/local/dops.yml', '<%= config.bin %> env down -e staging --json']
  static override flags = {
    ...envFlags,
    yes: Flags.boolean({char: 'y', description: 'confirm'}),
  }

  async run(): Promise<DownReport> {
    const {flags} = await this.parse(EnvDown)
    const r = (await runEnvCommand(this.jsonEnabled(), 'env down', (reporter, stopSignal) => envDown({...envParamsFrom(flags), yes: flags.yes, confirm: terminalConfirm(this.jsonEnabled()), reporter, stopSignal}))) as DownReport
    if (!this.jsonEnabled() && r.removed.length) process.stderr.write(`  removed: ${r.removed.join(', ')}\n`)
    this.setExitCode(r.exitCode)
    return r
  }
}
