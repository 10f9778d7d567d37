import {Flags} from '@oclif/core'
import {BaseCommand, envParamsFrom, envFlags, exitCodesHelp, terminalConfirm} from '../../cli/base.js'
import {printPlan} from '../../cli/env-plan-print.js'
import {envPlan, envUp, type EnvReport} from '../../env/env-job.js'
import {runEnvCommand} from '../../cli/env-progress.js'

export default class EnvUp extends BaseCommand {
  static override summary = 'Create the environment\'s hosts, bootstrap them, deploy its apps and fire topology events, in dependency order.'
  static override description = `Groups are applied in dependency order: provision (the provider creates or removes hosts), wait until SSH
answers, run bootstrap scripts on new hosts (with DOPS_<GROUP>_HOSTS of the groups they depend on), deploy
each app's desired revision where a host does not run it (after a rollback, the rolled-back revision until the
next deploy; otherwise the working tree's), then run hostsJoined / hostsLeft handlers on other groups with the
membership (DOPS_HOSTS, DOPS_CHANGED_HOSTS, and the JSON in the file DOPS_MEMBERS_FILE). Re-running it with
nothing changed changes nothing. Hosts the provider says are outdated (a changed size, image, storage) are
replaced batch by batch, new hosts first (created, bootstrapped, given the apps, announced) before the old ones
leave (--replace HOST replaces that host the same way); stopped hosts are started first. Removing or replacing hosts asks on a terminal and needs --yes elsewhere. --dry-run prints
what env plan prints and changes nothing. The state is kept in .dops/state/ (or S3).

${exitCodesHelp}`

  static override examples = ['<%= config.bin %> env up -f examples/local/dops.yml', '<%= config.bin %> env up -e staging --dry-run', '<%= config.bin %> env up -e staging --json', '<%= config.bin %> env up --replace web-2 --yes']
  static override flags = {
    ...envFlags,
    yes: Flags.boolean({char: 'y', description: 'allow destroying and replacing hosts'}),
    'dry-run': Flags.boolean({description: 'print the steps (as env plan) and change nothing'}),
    replace: Flags.string({description: 'replace this host (new one first, then the old one leaves), as if it were outdated; repeatable', multiple: true}),
  }

  async run(): Promise<EnvReport> {
    const {flags} = await this.parse(EnvUp)
    if (flags['dry-run']) {
      const plan = await envPlan({...envParamsFrom(flags), replace: flags.replace})
      this.setExitCode(printPlan(this.jsonEnabled(), plan))
      return plan
    }
    const r = await runEnvCommand(this.jsonEnabled(), 'env up', (reporter, stopSignal) => envUp({...envParamsFrom(flags), replace: flags.replace, yes: flags.yes, confirm: terminalConfirm(this.jsonEnabled()), reporter, stopSignal}))
    this.setExitCode(r.exitCode)
    return r
  }
}
