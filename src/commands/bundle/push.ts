import {Args, Flags} from '@oclif/core'
import {BaseCommand, exitCodesHelp, targetFlags} from '../../cli/base.js'
import {bundlePushJob, type BundlePushReport} from '../../revisions/jobs.js'

export default class BundlePush extends BaseCommand {
  static override summary = 'Build and bundle an app\'s revision and upload it once to the revision store, named by its sha256.'
  static override description = `The app's build runs, its source is bundled as dops deploy bundles it, and the archive is stored at <store>/<app>/<sha256>.tgz with its metadata (app, revision id, git commit, who pushed it and when). Nothing is uploaded when the store holds that archive already. Large archives go up in 8 MiB parts. The store is the plan's revisions.store, or --to.

${exitCodesHelp}`

  static override examples = ['<%= config.bin %> bundle push web', '<%= config.bin %> bundle push web --to s3://my-bucket/revisions --json']
  static override args = {app: Args.string({description: 'the app (a key of the plan\'s apps)', required: true})}
  static override flags = {
    file: targetFlags.file,
    to: Flags.string({description: 'the store, s3://bucket/prefix (default: the plan\'s revisions.store)'}),
  }

  async run(): Promise<BundlePushReport> {
    const {args, flags} = await this.parse(BundlePush)
    const r = await bundlePushJob({cwd: process.cwd(), planFile: flags.file}, args.app, flags.to)
    if (!this.jsonEnabled()) {
      process.stdout.write(`${r.url}\n`)
      process.stderr.write(r.skipped ? `already in the store (revision ${r.revision.slice(0, 12)}, ${r.bytes} bytes): nothing uploaded\n` : `uploaded revision ${r.revision.slice(0, 12)}: ${r.bytes} bytes${r.method === 'multipart' ? ' in parts' : ''}\n`)
    }
    return r
  }
}
