import {Args, Flags} from '@oclif/core'
import {BaseCommand, exitCodesHelp, targetFlags} from '../../cli/base.js'
import {formatTable} from '../../cli/table.js'
import type {RevisionList} from '../../revisions/list.js'
import {revisionsListJob} from '../../revisions/jobs.js'

export default class RevisionsList extends BaseCommand {
  static override summary = 'The revisions of an app in the revision store, newest first, and which environments run each.'
  static override description = `Lists <store>/<app>/ (the plan's revisions.store, or --store) with each revision's metadata. An environment runs the revision of the app's last successful deployment there, as this project's deployment records say.

${exitCodesHelp}`

  static override examples = ['<%= config.bin %> revisions list web', '<%= config.bin %> revisions list web --json']
  static override args = {app: Args.string({description: 'the app', required: true})}
  static override flags = {
    file: targetFlags.file,
    store: Flags.string({description: 'the store, s3://bucket/prefix (default: the plan\'s revisions.store)'}),
  }

  async run(): Promise<RevisionList> {
    const {args, flags} = await this.parse(RevisionsList)
    const r = await revisionsListJob({cwd: process.cwd(), planFile: flags.file}, args.app, flags.store)
    if (!this.jsonEnabled()) {
      const rows = r.revisions.map((v) => [(v.sha256 ?? v.key).slice(0, 12), (v.revision ?? '').slice(0, 12), v.commit?.slice(0, 12) ?? '', String(v.bytes), v.createdAt ?? v.lastModified ?? '', v.createdBy ?? '', v.environments.join(', ')])
      process.stdout.write(rows.length ? formatTable(['SHA256', 'REVISION', 'COMMIT', 'BYTES', 'CREATED', 'BY', 'RUNNING IN'], rows) + '\n' : `no revisions of ${r.app} in ${r.store}\n`)
    }
    return r
  }
}
