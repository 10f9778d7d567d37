import {Flags} from '@oclif/core'
import {BaseCommand, envParamsFrom, envFlags, exitCodesHelp, terminalConfirm} from '../../cli/base.js'
import {envUp, type EnvReport} from '../../env/env-job.js'
import {runEnvCommand} from '../../cli/env-progress.js'

export default class EnvUp extends BaseCommand {
  static override summary = 'Create the environment\'s hosts, bootstrap them, deploy its apps and fire topology events, in dependency order.'
  static override description = `Groups are applied in dependency order: provision (the provider creates or removes hosts), wait until SSH
answers, run bootstrap scripts on new hosts (with DOPS_<GROUP>_HOSTS of the groups they depend on), deploy
the apps where a host does not run the current revision, then run hostsJoined / hostsLeft handlers on other
groups with the membership (DOPS_HOSTS, DOPS_MEMBERS_JSON, DOPS_MEMBERS_FILE). Re-running it with nothing changed changes
nothing. Removing hosts asks on a terminal and needs --yes elsewhere. The state is kept in .dops/state/ (or S3).

${exitCodesHelp}`

  static override examples = ['<%= config.bin %> env up -f examples/local/dops.yml', '<%= config.bin %> env up -e staging --json']
  static override flags = {
    ...envFlags,
    yes: Flags.boolean({char: 'y', description: 'allow destroying hosts'}),
  }

  async run(): Promise<EnvReport> {
    const {flags} = await this.parse(EnvUp)
    const r = await runEnvCommand(this.jsonEnabled(), 'env up', (reporter, stopSignal) => envUp({...envParamsFrom(flags), yes: flags.yes, confirm: terminalConfirm(this.jsonEnabled()), reporter, stopSignal}))
    this.setExitCode(r.exitCode)
    return r
  }
}
