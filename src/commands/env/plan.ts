import {BaseCommand, envParamsFrom, envFlags, exitCodesHelp} from '../../cli/base.js'
import {formatEnvReport} from '../../cli/env-format.js'
import {colorFor} from '../../cli/format.js'
import {envPlan, type EnvReport} from '../../env/env-job.js'

export default class EnvPlan extends BaseCommand {
  static override summary = 'What env up would create, destroy and deploy, group by group (changes nothing).'
  static override description = `Like terraform plan: per group, the hosts kept, created and destroyed, the spec fields its provider
ignores, and the apps deployed to it. Checks that every provider can run here.

${exitCodesHelp}`

  static override examples = ['<%= config.bin %> env plan -f examples/local/dops.yml', '<%= config.bin %> env plan -e staging --json']
  static override flags = {
    ...envFlags,
  }

  async run(): Promise<EnvReport> {
    const {flags} = await this.parse(EnvPlan)
    const r = await envPlan({...envParamsFrom(flags), yes: undefined})
    if (!this.jsonEnabled()) process.stderr.write(formatEnvReport(colorFor(process.stderr), r) + '\n')
    this.setExitCode(r.exitCode)
    return r
  }
}
