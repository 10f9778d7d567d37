import {Args, Flags} from '@oclif/core'
import {BaseCommand, exitCodesHelp} from '../../cli/base.js'
import {colorFor, formatProblems} from '../../cli/format.js'
import {bundleDirectory, type BundleResult} from '../../deploy/bundle.js'

export default class Bundle extends BaseCommand {
  static override summary = 'Pack a revision directory (appspec.yml at its root) into a reproducible .tgz named by its content id.'
  static override description = `The directory is validated first (as dops validate --appspec does). The same content always gives
the same id and the same archive, so a host that already has a revision is never sent it again.

${exitCodesHelp}`

  static override examples = ['<%= config.bin %> bundle build/', '<%= config.bin %> bundle build/ -o dist/shop.tgz --json']
  static override args = {dir: Args.string({description: 'revision directory', required: true})}
  static override flags = {
    out: Flags.string({char: 'o', description: 'output file, or a directory (DIR/ or an existing one) to write <dir>-<id>.tgz into (default: the current directory)'}),
    compat: Flags.boolean({description: 'accept what the CodeDeploy agent accepts; footguns become warnings'}),
  }

  async run(): Promise<BundleResult> {
    const {args, flags} = await this.parse(Bundle)
    const r = await bundleDirectory(args.dir, {out: flags.out, cwd: process.cwd(), mode: flags.compat ? 'compat' : 'strict'})
    if (!this.jsonEnabled()) {
      const c = colorFor(process.stderr)
      if (r.problems.length) process.stderr.write(formatProblems(c, r.problems) + '\n')
      process.stdout.write(`${r.file}\n`)
      process.stderr.write(`revision ${r.id.slice(0, 12)}: ${r.files} files, ${r.bytes} bytes\n`)
    }
    return r
  }
}
