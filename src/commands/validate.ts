import {Flags} from '@oclif/core'
import {BaseCommand, exitCodesHelp} from '../cli/base.js'
import {colorFor, formatProblems} from '../cli/format.js'
import {checkRevision, type RevisionCheck} from '../deploy/validate-revision.js'
import {InvalidInputError} from '../errors.js'
import {validateJob, type ValidateResult} from '../validate-job.js'

export default class Validate extends BaseCommand {
  static override summary = 'Check a plan (schema, references, secrets, inventories, apps), or one appspec or revision.'
  static override description = `Reports every problem at once, each with its file, line and column, the field and what was
expected (with a suggestion for a misspelt key). Exit 0 when valid (warnings go to stderr), 2 when not.

With --appspec PATH, checks one appspec.yml, or a revision (directory, .tar, .tar.gz, .tgz, .zip) against
its contents. Strict by default: CodeDeploy agent footguns (a quoted version, an unquoted 0644 mode, unknown
or miscased events, relative destinations, more than an hour of timeouts per event, aliases) are errors;
--compat accepts exactly what the agent accepts and reports them as warnings.

${exitCodesHelp}`

  static override examples = [
    '<%= config.bin %> validate',
    '<%= config.bin %> validate -f examples/static/dops.yml --json',
    '<%= config.bin %> validate --appspec build/appspec.yml',
    '<%= config.bin %> validate --appspec dist/shop-1.4.2.tgz --compat',
  ]

  static override flags = {
    file: Flags.string({char: 'f', description: 'plan file (default: dops.yml in the current directory)', exclusive: ['appspec']}),
    appspec: Flags.string({description: 'check this appspec.yml or revision instead of a plan'}),
    compat: Flags.boolean({description: 'with --appspec: accept what the CodeDeploy agent accepts; footguns become warnings', dependsOn: ['appspec']}),
  }

  async run(): Promise<ValidateResult | RevisionCheck> {
    const {flags} = await this.parse(Validate)
    const c = colorFor(process.stderr)
    if (flags.appspec) {
      const r = await checkRevision(flags.appspec, flags.compat ? 'compat' : 'strict')
      const errors = r.problems.filter((p) => p.severity !== 'warning')
      if (errors.length) throw new InvalidInputError(`${flags.appspec}: ${errors.length} problem(s)`, r.problems)
      if (!this.jsonEnabled()) {
        if (r.problems.length) process.stderr.write(formatProblems(c, r.problems) + '\n')
        const what = r.revision ? `revision ${r.revision.id.slice(0, 12)} (${r.revision.format}, ${r.revision.files} files)` : 'appspec'
        process.stdout.write(`${c.green('valid')}: ${flags.appspec}: ${what}\n`)
      }
      return r
    }
    const result = await validateJob({cwd: process.cwd(), planFile: flags.file})
    if (!this.jsonEnabled()) {
      if (result.warnings.length) process.stderr.write(formatProblems(c, result.warnings) + '\n')
      const hosts = result.environments.reduce((n, e) => n + e.groups.reduce((m, g) => m + g.hosts, 0), 0)
      process.stdout.write(`${c.green('valid')}: ${result.file} (${result.environments.length} environment(s), ${hosts} host(s), ${result.apps.length} app(s))\n`)
      for (const e of result.environments) for (const g of e.groups) if (g.description) process.stdout.write(`  ${e.name}/${g.name} (static): ${g.description}\n`)
    }
    return result
  }
}
