/**
 * Progress of env commands on stderr. On a terminal: one live line (live-line.ts) showing the step in progress, with
 * each finished step printed above it. In CI or a pipe: a plain line when a step starts and one when it ends, with its time. With
 * --json: nothing but warnings. Host output of bootstrap scripts and handlers is not shown here (the report has it).
 */
import type {DopsEvent, Reporter} from '../events.js'
import {formatMs} from '../util/duration.js'
import {colorFor} from './format.js'
import type {EnvReport} from '../env/env-job.js'
import {withInterrupt} from './base.js'
import {formatEnvReport} from './env-format.js'
import {withLiveLine, type LiveLine} from './live-line.js'
import {outputMode, type OutputMode} from './progress.js'

export async function withEnvProgress<T>(mode: OutputMode, title: string, fn: (reporter: Reporter) => Promise<T>): Promise<T> {
  const c = colorFor(process.stderr)
  let live: LiveLine | undefined
  // steps that end before the line is drawn (it starts asynchronously) wait here, in order
  const early: string[] = []
  let current = title
  const line = (e: Extract<DopsEvent, {type: 'env.step'}>) => `${e.ok === false ? c.red('failed') : c.green('done')}  ${e.text} ${c.dim(`(${formatMs(e.ms ?? 0)})`)}`
  const reporter: Reporter = (e) => {
    if (e.type === 'warning') {
      const text = c.yellow(`warning: ${e.message}`)
      if (live) live.above(text, process.stderr)
      else process.stderr.write(text + '\n')
      return
    }
    if (e.type === 'hostkey.learned' && mode !== 'json') {
      const text = `learned host key of ${e.host}: ${e.fingerprint} (recorded in ${e.file})`
      if (live) live.above(text, process.stderr)
      else process.stderr.write(text + '\n')
      return
    }
    if (e.type !== 'env.step' || mode === 'json') return
    if (mode === 'plain') {
      process.stderr.write(e.state === 'start' ? `start ${e.text}\n` : `${line(e)}\n`)
      return
    }
    if (e.state === 'start') current = `${title}: ${e.text}`
    if (!live) {
      if (e.state === 'end') early.push(line(e))
      return
    }
    if (e.state === 'start') live.title = current
    else live.above(line(e), process.stderr)
  }
  if (mode !== 'tty') return fn(reporter)
  // on a terminal the live line (live-line.ts: one line on stderr, cut to the width) starts with the first step, so
  // a confirmation question before it is not overdrawn; each finished step is printed above it, on stderr
  let started: Promise<unknown> | undefined
  let work: Promise<T> | undefined
  const start = () =>
    withLiveLine(current, async (l) => {
      for (const text of early.splice(0)) l.above(text, process.stderr)
      l.title = current
      live = l
      try {
        await work
      } finally {
        live = undefined
      }
    })
  const lazy: Reporter = (e) => {
    if (e.type === 'env.step' && !started) started = start().catch(() => undefined)
    reporter(e)
  }
  work = fn(lazy)
  try {
    return await work
  } finally {
    await started
    for (const text of early.splice(0)) process.stderr.write(text + '\n')
  }
}

/**
 * An env command that changes hosts (up, down, reconcile, scale): Ctrl-C handling, live progress, then the summary
 * on stderr unless --json. The caller sets the exit code from the report.
 */
export async function runEnvCommand(json: boolean, title: string, job: (reporter: Reporter, stopSignal: AbortSignal) => Promise<EnvReport>): Promise<EnvReport> {
  const r = await withInterrupt('stopping: the step in progress finishes, nothing new starts', (stopSignal) => withEnvProgress(outputMode(json), title, (reporter) => job(reporter, stopSignal)))
  if (!json) process.stderr.write(formatEnvReport(colorFor(process.stderr), r, process.stderr) + '\n')
  return r
}
