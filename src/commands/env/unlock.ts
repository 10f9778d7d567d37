import {Flags} from '@oclif/core'
import {BaseCommand, envParamsFrom, envFlags, terminalConfirm} from '../../cli/base.js'
import {envUnlock} from '../../env/env-job.js'

export default class EnvUnlock extends BaseCommand {
  static override summary = "Remove the environment state's lock left by a dops command that died (Terraform's force-unlock)."
  static override description = `Says who holds the lock, then removes it: asks on a terminal, needs --yes elsewhere. Only for a lock whose
command is dead: an expired S3 lease, or a local lock of a dead process, is taken over by the next command anyway.`

  static override examples = ['<%= config.bin %> env unlock -e prod', '<%= config.bin %> env unlock -e prod --yes --json']
  static override flags = {
    ...envFlags,
    yes: Flags.boolean({char: 'y', description: 'remove it without asking'}),
  }

  async run(): Promise<Awaited<ReturnType<typeof envUnlock>>> {
    const {flags} = await this.parse(EnvUnlock)
    const r = await envUnlock({...envParamsFrom(flags), yes: flags.yes, confirm: terminalConfirm(this.jsonEnabled())})
    if (!this.jsonEnabled()) process.stderr.write(r.removed ? `removed the lock of ${r.state}, held by ${r.removed}\n` : `${r.state} is not locked\n`)
    return r
  }
}
