import {Args, Flags} from '@oclif/core'
import {BaseCommand} from '../cli/base.js'
import {initJob, type InitResult} from '../init/init-job.js'
import {SHAPES} from '../init/templates.js'

export default class Init extends BaseCommand {
  static override summary = 'Scaffold a plan, an app revision (appspec and hook scripts) and a bootstrap script.'
  static override description = `Writes, into DIR (default: the current directory), a dops.yml for the chosen shape, an app revision
(app/appspec.yml, app/site/, app/scripts/{start,stop,validate}.sh) and, where dops creates the hosts,
scripts/bootstrap.sh. The result validates as it is (\`dops validate\`). Shapes:

  - static: existing hosts, listed in the plan
  - local: sandbox hosts on this machine (Linux, as root); \`dops env up\` works at once
  - aws: EC2 instances in your account

Existing files are never overwritten without --force (nothing is written when one exists).`

  static override examples = ['<%= config.bin %> init --shape local', '<%= config.bin %> init shop --shape aws --project shop', '<%= config.bin %> init --shape static --force']

  static override args = {dir: Args.string({description: 'directory to write into (created if missing)', default: '.'})}
  static override flags = {
    shape: Flags.string({char: 's', description: 'where the hosts come from', options: [...SHAPES], default: 'local'}),
    project: Flags.string({char: 'p', description: "project name (default: from the directory's name)"}),
    force: Flags.boolean({description: 'overwrite files that exist'}),
  }

  async run(): Promise<InitResult> {
    const {args, flags} = await this.parse(Init)
    const r = await initJob({dir: args.dir, shape: flags.shape, project: flags.project, force: flags.force})
    if (!this.jsonEnabled()) {
      for (const f of r.files) process.stdout.write(`${r.overwritten.includes(f) ? 'overwrote' : 'created  '} ${f}\n`)
      const next = r.shape === 'static' ? 'edit the hosts in dops.yml, then: dops validate && dops deploy' : r.shape === 'local' ? 'dops validate && dops env up' : 'dops validate && dops env plan'
      process.stderr.write(`${r.shape} project ${r.project} in ${r.dir}; next: ${next}\n`)
    }
    return r
  }
}
