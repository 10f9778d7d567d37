import {Args, Flags} from '@oclif/core'
import {BaseCommand, connectionFlags, connectionFrom, selectionFrom, targetFlags, withInterrupt} from '../cli/base.js'
import {colorFor} from '../cli/format.js'
import {ExitCode} from '../errors.js'
import {logsJob, type LogsReport} from '../ops/logs-job.js'

export default class Logs extends BaseCommand {
  static override summary = "An app's deployment logs from its hosts: the hook output of the last deployment, or followed (-f)."
  static override description = `Each host keeps the output of the lifecycle hooks of every deployment it ran (docs/deploy.md: the host
layout). Shows the last lines of the newest deployment's log on every host of the groups that run APP (or of
--deployment ID), grouped per host; -f follows them, switching to a new deployment's log as it appears, with
each line prefixed by its host, until Ctrl-C.

EXIT CODES
  0 every host's log was read (or -f ended with Ctrl-C)
  2 invalid input
  3 some hosts have no log or could not be read
  4 no host's log could be read
  7 no host matches the selection`

  static override examples = [
    '<%= config.bin %> logs web',
    '<%= config.bin %> logs web -H web-1 -n 200',
    '<%= config.bin %> logs web -f',
    '<%= config.bin %> logs web --deployment d-20260102-101010-abc123 --json',
  ]

  static override args = {app: Args.string({description: "the app (default: the plan's only app)"})}
  static override flags = {
    // -f is --follow here, as in tail; the plan is --file
    file: Flags.string({description: 'plan file (default: dops.yml in the current directory)', helpGroup: 'TARGET'}),
    env: targetFlags.env,
    group: targetFlags.group,
    label: targetFlags.label,
    hosts: targetFlags.hosts,
    ...connectionFlags,
    follow: Flags.boolean({char: 'f', description: 'follow the logs (tail -F on each host) until Ctrl-C'}),
    lines: Flags.integer({char: 'n', description: 'lines of each log to show (default 50)', min: 0, default: 50}),
    deployment: Flags.string({char: 'd', description: "one deployment's log (an id from `dops deploy history`) instead of the newest"}),
  }

  async run(): Promise<LogsReport> {
    const {args, flags} = await this.parse(Logs)
    const json = this.jsonEnabled()
    const c = colorFor(process.stdout)
    const params = {
      source: {cwd: process.cwd(), planFile: flags.file, env: flags.env},
      selection: selectionFrom(flags),
      connection: connectionFrom(flags),
      app: args.app,
      deployment: flags.deployment,
      lines: flags.lines,
    }
    const r = flags.follow
      ? await withInterrupt('stopping', (signal) =>
          logsJob({...params, follow: true, signal, onLine: json ? undefined : (host, line) => process.stdout.write(`${c.cyan(host)} ${line}\n`)}),
        )
      : await logsJob(params)
    if (!json) {
      for (const h of r.hosts) {
        if (!flags.follow) {
          process.stdout.write(`${c.bold(`== ${h.host}`)}${h.deployment ? c.dim(` (${h.deployment})`) : ''}\n`)
          for (const l of h.lines) process.stdout.write(l + '\n')
        }
        if (h.status !== 'ok') process.stderr.write(`${c.red(`${h.host}: ${h.status}`)}: ${h.error}\n`)
      }
    }
    const bad = r.hosts.filter((h) => h.status !== 'ok').length
    this.setExitCode(bad === 0 ? ExitCode.OK : bad === r.hosts.length ? ExitCode.NONE_SUCCEEDED : ExitCode.SOME_FAILED)
    return r
  }
}
