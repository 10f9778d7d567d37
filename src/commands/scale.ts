import {Args} from '@oclif/core'
import {BaseCommand, envParamsFrom, envFlags, exitCodesHelp} from '../cli/base.js'
import {envUp, type EnvReport} from '../env/env-job.js'
import {InvalidInputError} from '../errors.js'
import {runEnvCommand} from '../cli/env-progress.js'

export default class Scale extends BaseCommand {
  static override summary = 'Set how many hosts a provider group has: new ones are bootstrapped and given the current app revision; removed ones are drained first.'
  static override description = `GROUP=N for each group to change. New hosts go through bootstrap, get the group's current app revision,
and fire hostsJoined handlers (a load balancer's upstreams follow); leaving hosts fire hostsLeft first, then their
apps are drained (traffic.block, ApplicationStop), then they are destroyed. The count is remembered in the state until the plan's own count changes.

${exitCodesHelp}`

  static override examples = ['<%= config.bin %> scale web=4 -f examples/local/dops.yml', '<%= config.bin %> scale web=2 worker=1 -e prod --json']
  static override strict = false
  static override args = {counts: Args.string({description: 'GROUP=N', required: true})}
  static override flags = {...envFlags}

  async run(): Promise<EnvReport> {
    const {flags, argv} = await this.parse(Scale)
    const scale: Record<string, number> = {}
    for (const a of argv as string[]) {
      const m = /^([a-z][a-z0-9_-]*)=(\d+)$/.exec(a)
      if (!m) throw new InvalidInputError(`expected GROUP=N (e.g. web=4), got \`${a}\``)
      scale[m[1]!] = Number(m[2])
    }
    const r = await runEnvCommand(this.jsonEnabled(), 'scale', (reporter, stopSignal) => envUp({...envParamsFrom(flags), scale, yes: true, reporter, stopSignal}))
    this.setExitCode(r.exitCode)
    return r
  }
}
