import {Flags} from '@oclif/core'
import {BaseCommand, exitCodesHelp} from '../cli/base.js'
import {runDeployCommand} from '../cli/deploy-run.js'
import {outputMode} from '../cli/progress.js'
import type {DeployReport} from '../deploy/deploy-job.js'
import {readDeploymentRecords} from '../deploy/records.js'
import {colorFor, formatProblems} from '../cli/format.js'
import {previousGoodRevision} from '../deploy/status-job.js'
import {InvalidInputError} from '../errors.js'
import {resolveTargets} from '../targets.js'
import {deployFlags} from './deploy/index.js'

export default class Rollback extends BaseCommand {
  static override summary = 'Deploy the previous good revision again (or --to REVISION), from the revisions kept on the hosts.'
  static override description = `A rollback is a deployment of an earlier revision: the same batches, hooks, health gates and lock.
The revision comes from the local bundle cache (.dops/bundles) and is usually still on the hosts, so nothing
is downloaded. The failing revision's ApplicationStop is allowed to fail.

${exitCodesHelp}`

  static override examples = ['<%= config.bin %> rollback -e prod', '<%= config.bin %> rollback -e prod --to 3f2a9c1b7d40']
  static override flags = {...deployFlags, to: Flags.string({description: 'revision id (or its first characters) to go back to'}), plan: Flags.boolean({description: 'print the plan and stop'})}

  async run(): Promise<DeployReport> {
    const {flags} = await this.parse(Rollback)
    const source = {cwd: process.cwd(), planFile: flags.file, env: flags.env}
    let to = flags.to
    if (!to) {
      const t = await resolveTargets(source)
      const apps = Object.keys(t.loaded?.plan.apps ?? {})
      const app = flags.app ?? (apps.length === 1 ? apps[0] : undefined)
      const records = await readDeploymentRecords(t.projectDir)
      if (records.problems.length) process.stderr.write(formatProblems(colorFor(process.stderr), records.problems) + '\n')
      to = app && t.envName ? previousGoodRevision(records.deployments, t.envName, app) : undefined
      if (!to) throw new InvalidInputError('no earlier successful revision is recorded in .dops/deployments; name one with --to (see dops deploy history)')
    }
    const mode = outputMode(flags.json ?? false)
    return runDeployCommand(mode, 'rolling back', flags, {source, revisionId: to, kind: 'rollback', ignoreStopFailures: true, rollback: false})
  }
}
