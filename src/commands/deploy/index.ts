import {Flags} from '@oclif/core'
import {BaseCommand, connectionFlags, exitCodesHelp, targetFlags} from '../../cli/base.js'
import {runDeployCommand} from '../../cli/deploy-run.js'
import {outputMode} from '../../cli/progress.js'
import type {DeployReport} from '../../deploy/deploy-job.js'

export const deployFlags = {
  ...targetFlags,
  ...connectionFlags,
  app: Flags.string({char: 'a', description: 'app to deploy (default: the plan\'s only app)'}),
  wait: Flags.string({description: 'wait this long for the deploy lock (e.g. 10m)'}),
  steal: Flags.boolean({description: 'take the deploy lock even if another deployment holds it'}),
  stream: Flags.boolean({description: 'print hook output live, prefixed by host'}),
}

export default class Deploy extends BaseCommand {
  static override summary = 'Deploy an app\'s revision to its groups in rolling batches, with health gates and rollback.'
  static override description = `Builds the app (its \`build\` command), bundles and checks its revision (appspec.yml), prints the
rollout plan, takes the deploy lock of the environment and app, and deploys batch by batch: each host runs the
CodeDeploy lifecycle (ApplicationStop of the previous revision, BeforeInstall, Install, AfterInstall,
ApplicationStart, ValidateService, and the traffic events when the app has traffic control), then the app's
health check. When a host fails and the failure budget is spent, no new batch starts, and the hosts this
deployment changed are rolled back to the revision they ran before.

${exitCodesHelp}`

  static override examples = [
    '<%= config.bin %> deploy -e prod --plan',
    '<%= config.bin %> deploy -e prod -a storefront',
    '<%= config.bin %> deploy -e staging --revision build/ --wait 5m --json',
  ]

  static override flags = {
    ...deployFlags,
    plan: Flags.boolean({description: 'print the rollout plan (hosts, batches, revisions, hooks, gates) and stop'}),
    revision: Flags.string({description: 'deploy this directory, archive or stored revision (s3://bucket/prefix/app/<sha256>.tgz) instead of the app\'s source (no build)'}),
    'ignore-application-stop-failures': Flags.boolean({description: 'go on when the previous revision\'s ApplicationStop script fails'}),
    'no-rollback': Flags.boolean({description: 'on failure, leave the changed hosts as they are'}),
  }

  async run(): Promise<DeployReport> {
    const {flags} = await this.parse(Deploy)
    const mode = outputMode(flags.json ?? false)
    return runDeployCommand(mode, 'deploying', flags, {
      source: {cwd: process.cwd(), planFile: flags.file, env: flags.env, inventory: flags.inventory},
      revision: flags.revision,
      ignoreStopFailures: flags['ignore-application-stop-failures'] || undefined,
      rollback: flags['no-rollback'] ? false : undefined,
    })
  }
}
