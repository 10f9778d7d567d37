/**
 * The only listr2 user. On a terminal: a live progress line per run on stderr (listr2). In CI or a pipe: plain
 * lines, no spinners, no control codes. With --json: nothing but warnings on stderr. Host output (the data) goes to
 * stdout, grouped per host or streamed line by line.
 */
import type {ListrTaskWrapper} from 'listr2'
import type {DopsEvent, Reporter} from '../events.js'
import {colorFor, formatHostBlock} from './format.js'

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
  const pending: string[] = []
  let done = 0
  let failed = 0
  let task: ListrTaskWrapper<unknown, never, never> | undefined
  const progressTitle = () => `${view.title}: ${done}/${view.total} done${failed ? err.red(`, ${failed} not ok`) : ''}`
  const writeOut = (s: string) => (view.mode === 'tty' ? pending.push(s) : process.stdout.write(s + '\n'))
  const note = (s: string) => {
    if (view.mode === 'tty' && task) task.output = s
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
        process.stderr.write(err.yellow(`${e.message}\n`))
        break
      case 'hostkey.learned':
        if (view.mode !== 'json') note(`learned host key of ${e.host}: ${e.fingerprint} (recorded in ${e.file})`)
        break
      case 'warning':
        process.stderr.write(err.yellow(`warning: ${e.message}\n`))
        break
      default:
        break
    }
  }
  if (view.mode !== 'tty' || view.stream) return fn(reporter)
  let result: T | undefined
  // loaded only on a terminal: CI and --json runs skip its start-up cost
  const {Listr, ProcessOutput} = await import('listr2')
  const list = new Listr(
    [
      {
        title: progressTitle(),
        task: async (_ctx, t) => {
          task = t as unknown as ListrTaskWrapper<unknown, never, never>
          result = await fn(reporter)
          t.title = progressTitle()
        },
      },
    ],
    {renderer: 'default', rendererOptions: {processOutput: new ProcessOutput(process.stderr, process.stderr)} as never, exitOnError: false, registerSignalListeners: false},
  )
  await list.run()
  for (const block of pending) process.stdout.write(block + '\n')
  return result as T
}
