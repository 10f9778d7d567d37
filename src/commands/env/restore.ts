import {Args, Flags} from '@oclif/core'
import {BaseCommand, connectionFrom, connectionFlags, exitCodesHelp, terminalConfirm, withInterrupt} from '../../cli/base.js'
import {withEnvProgress} from '../../cli/env-progress.js'
import {colorFor} from '../../cli/format.js'
import {outputMode} from '../../cli/progress.js'
import {formatRestore} from '../../cli/restore-format.js'
import {envRestore, type RestoreReport} from '../../env/restore.js'

export default class EnvRestore extends BaseCommand {
  static override summary = 'Rebuild an environment from another one (disaster recovery): its groups, host counts and recorded revisions, then bootstrap, restore hooks, deploys, events, load balancers and DNS, until every health gate is green.'
  static override description = `TARGET is built from SOURCE (--from, else TARGET's restoreFrom in the plan; --from wins): SOURCE's groups merged with TARGET's groups entries (overrides: region-specific values such as instance.image, keyPair, subnet(s), securityGroups) and built with TARGET's provider, SOURCE's host counts (from its state), and the revisions SOURCE last deployed successfully (from its deployment records, never the working tree). Everything is checked before anything is created: every missing region-specific value and every revision that cannot be found is listed in one error (exit 2). Then env up builds TARGET (provision, bootstrap, restore.hooks after their group's bootstrap, deploys, events, monitoring targets, load balancers, DNS) and every host, revision and health check is verified. The report gives the recovery time (start to every health gate green) and each phase's time. --drill builds drill-TARGET instead, verifies it, prints the timings and tears it down (hosts, load balancers, monitoring targets, its state and deployment records); DNS records are not built in a drill.

${exitCodesHelp}`

  static override examples = ['<%= config.bin %> env restore dr --from prod', '<%= config.bin %> env restore dr --drill --json']
  static override args = {target: Args.string({description: 'the environment to build', required: true})}
  static override flags = {
    file: Flags.string({char: 'f', description: 'plan file (default: dops.yml in the current directory)'}),
    from: Flags.string({description: "the environment to restore from (default: TARGET's restoreFrom)"}),
    drill: Flags.boolean({description: 'build drill-TARGET, verify it, print the timings, tear it down'}),
    yes: Flags.boolean({char: 'y', description: 'allow destroying hosts (when TARGET has more than SOURCE)'}),
    ...connectionFlags,
  }

  async run(): Promise<RestoreReport> {
    const {args, flags} = await this.parse(EnvRestore)
    const json = this.jsonEnabled()
    const title = `env restore ${args.target}`
    const r = await withInterrupt('stopping: the step in progress finishes, nothing new starts', (stopSignal) =>
      withEnvProgress(outputMode(json), title, (reporter) => envRestore({source: {cwd: process.cwd(), planFile: flags.file}, target: args.target, from: flags.from, drill: flags.drill, connection: connectionFrom(flags), yes: flags.yes, confirm: terminalConfirm(json), reporter, stopSignal})),
    )
    if (!json) process.stderr.write(formatRestore(colorFor(process.stderr), r) + '\n')
    this.setExitCode(r.exitCode)
    return r
  }
}
