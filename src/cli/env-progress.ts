/**
 * Progress of env commands on stderr. On a terminal: one listr2 line showing the step in progress, with each finished
 * step kept above it. In CI or a pipe: a plain line when a step starts and one when it ends, with its time. With
 * --json: nothing but warnings. Host output of bootstrap scripts and handlers is not shown here (the report has it).
 */
import type {ListrTaskWrapper} from 'listr2'
import type {DopsEvent, Reporter} from '../events.js'
import {formatMs} from '../util/duration.js'
import {colorFor} from './format.js'
import type {EnvReport} from '../env/env-job.js'
import {withInterrupt} from './base.js'
import {formatEnvReport} from './env-format.js'
import {outputMode, type OutputMode} from './progress.js'

export async function withEnvProgress<T>(mode: OutputMode, title: string, fn: (reporter: Reporter) => Promise<T>): Promise<T> {
  const c = colorFor(process.stderr)
  let task: ListrTaskWrapper<unknown, never, never> | undefined
  const finished: string[] = []
  let current = title
  const show = () => {
    if (!task) return
    task.title = current
    if (finished.length) task.output = finished.slice(-8).join('\n')
  }
  const line = (e: Extract<DopsEvent, {type: 'env.step'}>) => `${e.ok === false ? c.red('failed') : c.green('done')}  ${e.text} ${c.dim(`(${formatMs(e.ms ?? 0)})`)}`
  const reporter: Reporter = (e) => {
    if (e.type === 'warning') {
      process.stderr.write(c.yellow(`warning: ${e.message}\n`))
      return
    }
    if (e.type === 'hostkey.learned' && mode !== 'json') {
      process.stderr.write(`learned host key of ${e.host}: ${e.fingerprint} (recorded in ${e.file})\n`)
      return
    }
    if (e.type !== 'env.step' || mode === 'json') return
    if (mode === 'plain') {
      process.stderr.write(e.state === 'start' ? `start ${e.text}\n` : `${line(e)}\n`)
      return
    }
    if (e.state === 'start') current = `${title}: ${e.text}`
    else finished.push(line(e))
    show()
  }
  if (mode !== 'tty') return fn(reporter)
  // on a terminal the live line starts with the first step, so a confirmation question before it is not overdrawn
  let started: Promise<unknown> | undefined
  let work: Promise<T> | undefined
  const start = async () => {
    const {Listr, ProcessOutput} = await import('listr2')
    const list = new Listr(
      [
        {
          title,
          task: async (_ctx, t) => {
            task = t as unknown as ListrTaskWrapper<unknown, never, never>
            show()
            await work
            t.title = title
          },
          rendererOptions: {persistentOutput: true, outputBar: 8},
        },
      ],
      {renderer: 'default', rendererOptions: {processOutput: new ProcessOutput(process.stderr, process.stderr)} as never, exitOnError: true, registerSignalListeners: false},
    )
    await list.run()
  }
  const inner = reporter
  const lazy: Reporter = (e) => {
    if (e.type === 'env.step' && !started) started = start().catch(() => undefined)
    inner(e)
  }
  work = fn(lazy)
  try {
    return await work
  } finally {
    await started
  }
}

/**
 * An env command that changes hosts (up, down, reconcile, scale): Ctrl-C handling, live progress, then the summary
 * on stderr unless --json. The caller sets the exit code from the report.
 */
export async function runEnvCommand(json: boolean, title: string, job: (reporter: Reporter, stopSignal: AbortSignal) => Promise<EnvReport>): Promise<EnvReport> {
  const r = await withInterrupt('stopping: the step in progress finishes, nothing new starts', (stopSignal) => withEnvProgress(outputMode(json), title, (reporter) => job(reporter, stopSignal)))
  if (!json) process.stderr.write(formatEnvReport(colorFor(process.stderr), r) + '\n')
  return r
}
