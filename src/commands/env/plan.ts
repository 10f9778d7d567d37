import {Flags} from '@oclif/core'
import {BaseCommand, envParamsFrom, envFlags, exitCodesHelp} from '../../cli/base.js'
import {printPlan} from '../../cli/env-plan-print.js'
import {envPlan, type EnvReport} from '../../env/env-job.js'

export default class EnvPlan extends BaseCommand {
  static override summary = 'What env up would do, step by step: hosts created, destroyed and prepared, apps deployed, events fired (changes nothing).'
  static override description = `Like terraform plan: per group, the hosts kept, created, destroyed, replaced (with why) and started, the
spec fields its provider ignores; then the ordered steps env up applies (exactly those). Hosts whose app revision differs from the desired
one are listed (after a rollback, the rolled-back revision is desired until the next deploy). The plan is printed
on stdout. With --detailed-exitcode (as Terraform): exit 0 when there is nothing to change, 10 when there are
changes (apps whose hosts differ from the desired revision count), other codes for errors.

${exitCodesHelp}`

  static override examples = ['<%= config.bin %> env plan -f examples/local/dops.yml', '<%= config.bin %> env plan -e staging --detailed-exitcode', '<%= config.bin %> env plan -e staging --json']
  static override flags = {
    ...envFlags,
    'detailed-exitcode': Flags.boolean({description: 'exit 10 when there are changes, 0 when there are none'}),
    replace: Flags.string({description: 'plan replacing this host (new one first, then the old one leaves), as env up --replace; repeatable', multiple: true}),
  }

  async run(): Promise<EnvReport> {
    const {flags} = await this.parse(EnvPlan)
    const r = await envPlan({...envParamsFrom(flags), replace: flags.replace, yes: undefined})
    this.setExitCode(printPlan(this.jsonEnabled(), r, flags['detailed-exitcode']))
    return r
  }
}
