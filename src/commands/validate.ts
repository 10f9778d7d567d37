import {BaseCommand, exitCodesHelp} from '../cli/base.js'
import {colorFor, formatProblems} from '../cli/format.js'
import {Flags} from '@oclif/core'
import {validateJob, type ValidateResult} from '../validate-job.js'

export default class Validate extends BaseCommand {
  static override summary = 'Check a plan: schema, references between groups, apps and providers, secrets, inventories.'
  static override description = `Reports every problem at once, each with its file, line and column, the field and what was
expected (with a suggestion for a misspelt key). Exit 0 when the plan is valid, 2 when it is not.

${exitCodesHelp}`

  static override examples = ['<%= config.bin %> validate', '<%= config.bin %> validate -f examples/static/dops.yml --json']

  static override flags = {
    file: Flags.string({char: 'f', description: 'plan file (default: dops.yml in the current directory)'}),
  }

  async run(): Promise<ValidateResult> {
    const {flags} = await this.parse(Validate)
    const result = await validateJob({cwd: process.cwd(), planFile: flags.file})
    if (!this.jsonEnabled()) {
      const c = colorFor(process.stderr)
      if (result.warnings.length) process.stderr.write(formatProblems(c, result.warnings) + '\n')
      const hosts = result.environments.reduce((n, e) => n + e.groups.reduce((m, g) => m + g.hosts, 0), 0)
      process.stdout.write(`${c.green('valid')}: ${result.file} (${result.environments.length} environment(s), ${hosts} host(s))\n`)
    }
    return result
  }
}
