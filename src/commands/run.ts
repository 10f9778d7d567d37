import {Flags, type Interfaces} from '@oclif/core'
import {BaseCommand, connectionFlags, connectionFrom, exitCodesHelp, selectionFrom, targetFlags} from '../cli/base.js'
import {colorFor, formatPreview, formatSummary} from '../cli/format.js'
import {formatTable} from '../cli/table.js'
import {outputMode, withRunProgress} from '../cli/progress.js'
import type {RunJournal} from '../fleet/journal.js'
import {previewRun, runJob, type RunJobParams, type RunPreview} from '../run-job.js'

export default class Run extends BaseCommand {
  static override summary = 'Run a command or a local script on a group of hosts.'
  static override description = `Connects once to each selected host and runs the command (or uploads and runs --script with the
arguments after --). Hosts run in parallel, or in rolling batches (--batch) with a failure budget
(--max-failures) counted over the whole run, unreachable and timed-out hosts included.

Every run is recorded in .dops/runs/<run-id>.json; --retry-failed [RUN_ID] runs the same thing again
on exactly the hosts that failed, timed out, were unreachable or were never started.

${exitCodesHelp}`

  static override usage = ['<%= command.id %> [FLAGS] -- COMMAND...', '<%= command.id %> --script FILE [FLAGS] [-- ARGS...]', '<%= command.id %> --retry-failed [RUN_ID] [FLAGS]']

  static override examples = [
    '<%= config.bin %> run -g web -- uptime',
    '<%= config.bin %> run -e prod -l role=db --sudo --timeout 30s -- systemctl restart postgresql',
    '<%= config.bin %> run -g web --script ./rotate-logs.sh -- --keep 7',
    '<%= config.bin %> run -g web --batch 20% --max-failures 2 -- ./restart.sh',
    '<%= config.bin %> run -i inventory.ini -g webservers --known-hosts ./known_hosts -- uname -a',
    '<%= config.bin %> run --retry-failed',
  ]

  static override strict = false

  static override flags = {
    ...targetFlags,
    ...connectionFlags,
    script: Flags.string({char: 's', description: 'local script to upload and execute; arguments follow --'}),
    sudo: Flags.boolean({description: 'run as root through sudo -n'}),
    'run-as': Flags.string({description: 'run as this user through sudo -n -u'}),
    timeout: Flags.string({char: 't', description: 'per-host timeout (30s, 5m); kills the remote process group'}),
    concurrency: Flags.integer({char: 'c', description: 'hosts running at once (default: the whole batch)', min: 1}),
    batch: Flags.string({char: 'b', description: 'rolling batches: a count (5), a percentage (20%), or a list (1,10%,50%)'}),
    'max-failures': Flags.string({description: 'failure budget over the whole run: a count or a percentage; exceeding it stops the run'}),
    pause: Flags.string({description: 'wait between batches (e.g. 10s)'}),
    stream: Flags.boolean({description: 'print output live, each line prefixed by its host (default: grouped per host)'}),
    'dry-run': Flags.boolean({description: 'show the hosts of each batch and the failure budget; connect to nothing, run nothing'}),
    'retry-failed': Flags.boolean({description: 'run again on the hosts of the last run (or of RUN_ID given as argument) that did not succeed'}),
  }

  async run(): Promise<RunJournal | RunPreview> {
    const {flags, argv} = await this.parse(Run)
    const args = argv as string[]
    if (flags['dry-run']) return this.preview(previewRun(jobParams(flags, args)))
    const mode = outputMode(flags.json ?? false)
    const stop = new AbortController()
    const abort = new AbortController()
    const onSigint = () => {
      if (!stop.signal.aborted) {
        process.stderr.write('\nstopping: no new host will start; in-flight hosts finish (Ctrl-C again to kill them)\n')
        stop.abort()
      } else abort.abort()
    }
    process.on('SIGINT', onSigint)
    process.on('SIGTERM', onSigint)
    try {
      const journal = await withRunProgress({mode, stream: flags.stream, total: 0, title: 'running'}, (reporter) =>
        runJob({...jobParams(flags, args), reporter, stopSignal: stop.signal, abortSignal: abort.signal}))
      if (mode !== 'json') {
        process.stderr.write(formatSummary(colorFor(process.stderr), journal.summary, journal.durationMs, journal.results) + '\n')
        if (journal.summary.ok < journal.summary.total) process.stderr.write(colorFor(process.stderr).dim(`run ${journal.runId}; retry the hosts that did not succeed: dops run --retry-failed ${journal.runId}\n`))
      }
      this.setExitCode(journal.exitCode)
      return journal
    } finally {
      process.off('SIGINT', onSigint)
      process.off('SIGTERM', onSigint)
    }
  }

  private async preview(pending: Promise<RunPreview>): Promise<RunPreview> {
    const p = await pending
    if (!this.jsonEnabled()) {
      const rows = p.batches.flatMap((b) => b.hosts.map((h) => [String(b.batch), h.host, h.group, h.address]))
      process.stdout.write(formatTable(['BATCH', 'HOST', 'GROUP', 'ADDRESS'], rows) + '\n')
      process.stderr.write(formatPreview(colorFor(process.stderr), p) + '\n')
    }
    return p
  }
}

type RunFlags = Interfaces.InferredFlags<typeof Run.flags>

/** The core's parameters from the command line (without the reporter and the signals). */
function jobParams(flags: RunFlags, args: string[]): RunJobParams {
  return {
    source: {cwd: process.cwd(), planFile: flags.file, env: flags.env, inventory: flags.inventory},
    selection: selectionFrom(flags),
    connection: connectionFrom(flags),
    command: flags['retry-failed'] || flags.script ? undefined : args.join(' '),
    scriptFile: flags.script,
    args: flags.script ? args : undefined,
    sudo: flags.sudo,
    runAs: flags['run-as'],
    timeout: flags.timeout,
    batch: flags.batch?.includes(',') ? flags.batch.split(',').map((s) => s.trim()) : flags.batch,
    maxFailures: flags['max-failures'],
    concurrency: flags.concurrency,
    pause: flags.pause,
    stream: flags.stream,
    retryFailed: flags['retry-failed'] ? (args[0] ?? '') : undefined,
  }
}
