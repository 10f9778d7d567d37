import {Args, Flags} from '@oclif/core'
import {BaseCommand, envParamsFrom, envFlags, exitCodesHelp, terminalConfirm} from '../cli/base.js'
import {printPlan} from '../cli/env-plan-print.js'
import {envPlan, envUp, type EnvReport} from '../env/env-job.js'
import {InvalidInputError} from '../errors.js'
import {runEnvCommand} from '../cli/env-progress.js'

export default class Scale extends BaseCommand {
  static override summary = 'Set how many hosts a provider group has: new ones are bootstrapped and given the app\'s desired revision; removed ones are drained first.'
  static override description = `GROUP=N for each group to change. New hosts go through bootstrap, get the app's desired revision (after a
rollback, the rolled-back one until the next deploy), and fire hostsJoined handlers (a load balancer's upstreams
follow); leaving hosts fire hostsLeft first, then their apps are drained (traffic.block, ApplicationStop), then
they are destroyed. Removing hosts asks on a terminal and needs --yes elsewhere. --dry-run prints the steps and
changes nothing. The count is remembered in the state until the plan's own count changes.

${exitCodesHelp}`

  static override examples = ['<%= config.bin %> scale web=4 -f examples/local/dops.yml', '<%= config.bin %> scale web=1 -e prod --dry-run', '<%= config.bin %> scale web=2 worker=1 -e prod --yes --json']
  static override strict = false
  static override args = {counts: Args.string({description: 'GROUP=N', required: true})}
  static override flags = {
    ...envFlags,
    yes: Flags.boolean({char: 'y', description: 'allow removing hosts'}),
    'dry-run': Flags.boolean({description: 'print the steps (as env plan) and change nothing'}),
  }

  async run(): Promise<EnvReport> {
    const {flags, argv} = await this.parse(Scale)
    const scale: Record<string, number> = {}
    for (const a of argv as string[]) {
      const m = /^([a-z][a-z0-9_-]*)=(\d+)$/.exec(a)
      if (!m) throw new InvalidInputError(`expected GROUP=N (e.g. web=4), got \`${a}\``)
      scale[m[1]!] = Number(m[2])
    }
    if (flags['dry-run']) {
      const plan = await envPlan({...envParamsFrom(flags), scale})
      this.setExitCode(printPlan(this.jsonEnabled(), plan))
      return plan
    }
    const r = await runEnvCommand(this.jsonEnabled(), 'scale', (reporter, stopSignal) => envUp({...envParamsFrom(flags), scale, yes: flags.yes, confirm: terminalConfirm(this.jsonEnabled()), reporter, stopSignal}))
    this.setExitCode(r.exitCode)
    return r
  }
}
