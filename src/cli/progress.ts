/**
 * The only listr2 user. On a terminal: a live progress line per run on stderr (listr2). In CI or a pipe: plain
 * lines, no spinners, no control codes. With --json: nothing but warnings on stderr. Host output (the data) goes to
 * stdout, grouped per host or streamed line by line.
 */
import type {DopsEvent, Reporter} from '../events.js'
import {colorFor, formatHostBlock} from './format.js'
import {withLiveLine, type LiveLine} from './live-line.js'

export type OutputMode = 'json' | 'tty' | 'plain'

export function outputMode(json: boolean): OutputMode {
  if (json) return 'json'
  return process.stderr.isTTY && !process.env.CI ? 'tty' : 'plain'
}

export interface RunView {
  mode: OutputMode
  stream: boolean
  total: number
  title: string
}

export async function withRunProgress<T>(view: RunView, fn: (reporter: Reporter) => Promise<T>): Promise<T> {
  const out = colorFor(process.stdout)
  const err = colorFor(process.stderr)
  let done = 0
  let failed = 0
  let task: LiveLine | undefined
  const progressTitle = () => `${view.title}: ${done}/${view.total} done${failed ? err.red(`, ${failed} not ok`) : ''}`
  // each host's block as soon as it finishes, above the progress line on a terminal
  const writeOut = (s: string) => (task ? task.above(s) : process.stdout.write(s + '\n'))
  const writeErr = (s: string) => (task ? task.above(s, process.stderr) : process.stderr.write(s + '\n'))
  const note = (s: string) => {
    if (task) task.note = s
    else process.stderr.write(s + '\n')
  }
  const reporter: Reporter = (e: DopsEvent) => {
    switch (e.type) {
      case 'run.start':
        view.total = e.hosts
        if (task) task.title = progressTitle()
        break
      case 'host.output':
        if (view.mode !== 'json') process.stdout.write(`${out.cyan(e.host)} ${e.stream === 'stderr' ? out.yellow('|') : '|'} ${e.line}\n`)
        break
      case 'host.end':
        done++
        if (e.result.status !== 'ok') failed++
        if (view.mode === 'json') break
        if (!view.stream) writeOut(formatHostBlock(out, e.result))
        else if (e.result.status !== 'ok') process.stderr.write(`${err.bold(e.result.host)} ${err.red(e.result.status)}${e.result.error ? ` — ${e.result.error}` : ''}\n`)
        if (task) task.title = progressTitle()
        break
      case 'batch.start':
        if (e.total > 1 && view.mode !== 'json') note(`batch ${e.index}/${e.total}: ${e.hosts.length} host${e.hosts.length === 1 ? '' : 's'}`)
        break
      case 'run.stopped':
        writeErr(err.yellow(e.message))
        break
      case 'hostkey.learned':
        if (view.mode !== 'json') note(`learned host key of ${e.host}: ${e.fingerprint} (recorded in ${e.file})`)
        break
      case 'warning':
        writeErr(err.yellow(`warning: ${e.message}`))
        break
      default:
        break
    }
  }
  if (view.mode !== 'tty' || view.stream) return fn(reporter)
  return withLiveLine(progressTitle(), async (line) => {
    task = line
    const result = await fn(reporter)
    line.title = progressTitle()
    return result
  })
}
