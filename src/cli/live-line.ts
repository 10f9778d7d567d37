/**
 * Live progress on a terminal: one line on stderr, redrawn in place (a listr2 renderer: spinner, the task's title,
 * its latest note), cut to the terminal's width (80 when the terminal reports 0 columns, so it never prints one
 * character per line). Results printed while it runs (`above`) are written above the line on their own stream, so
 * `dops run > out.txt` puts only results in the file while the terminal shows the progress.
 */
import {stripVTControlCharacters} from 'node:util'
import type {ListrTaskObject} from 'listr2'
import {colorFor} from './format.js'

export interface LiveLine {
  /** the progress text (the task's title) */
  title: string
  /** a passing note shown after the title until the next one (the task's output) */
  note: string
  /** print lasting text above the line: results to stdout (the default), messages to stderr */
  above(text: string, stream?: NodeJS.WriteStream): void
}

const CLEAR = '\r\x1b[2K'
const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏']

/** Columns of the terminal, or 80 where it reports none (a width of 0 is "unknown", not "one column"). */
export function lineWidth(stream: NodeJS.WriteStream): number {
  return stream.columns > 0 ? stream.columns : 80
}

/** Fit text into `width - 1` columns (the last column would wrap on some terminals); colour is dropped only when cut. */
export function fitLine(text: string, width: number): string {
  const plain = [...stripVTControlCharacters(text).replace(/\s*\n\s*/g, ' ')]
  if (plain.length < width) return text.includes('\n') ? plain.join('') : text
  return plain.slice(0, Math.max(1, width - 2)).join('') + '…'
}

interface Shared {
  draw?: () => void
  clear?: () => void
}

/** The listr2 renderer: draws the first task as one line on stderr. */
class LineRenderer {
  static nonTTY = true
  static rendererOptions: {shared?: Shared} = {}
  static rendererTaskOptions = {}
  private frame = 0
  private timer?: NodeJS.Timeout
  private readonly dim = colorFor(process.stderr).dim

  constructor(
    private readonly tasks: ListrTaskObject<unknown, never, never>[],
    private readonly options: {shared?: Shared},
  ) {}

  render(): void {
    const shared = this.options.shared ?? {}
    shared.draw = () => this.draw()
    shared.clear = () => process.stderr.write(CLEAR)
    this.timer = setInterval(() => {
      this.frame = (this.frame + 1) % FRAMES.length
      this.draw()
    }, 100)
    this.timer.unref()
    this.draw()
  }

  end(): void {
    clearInterval(this.timer)
    process.stderr.write(CLEAR)
    if (this.options.shared) this.options.shared.draw = this.options.shared.clear = undefined
  }

  private draw(): void {
    const task = this.tasks[0]
    if (!task) return
    const note = task.output ? this.dim(` · ${task.output}`) : ''
    process.stderr.write(CLEAR + fitLine(`${FRAMES[this.frame]} ${task.title ?? ''}${note}`, lineWidth(process.stderr)))
  }
}

export async function withLiveLine<T>(title: string, fn: (line: LiveLine) => Promise<T>): Promise<T> {
  const {Listr} = await import('listr2')
  const shared: Shared = {}
  let task: {title?: string; output?: string} | undefined
  let current = {title, note: ''}
  const set = (next: Partial<typeof current>) => {
    current = {...current, ...next}
    if (task) Object.assign(task, {title: current.title, output: current.note})
    shared.draw?.()
  }
  const line: LiveLine = {
    get title() {
      return current.title
    },
    set title(t: string) {
      set({title: t})
    },
    get note() {
      return current.note
    },
    set note(n: string) {
      set({note: n})
    },
    above(text, stream = process.stdout) {
      shared.clear?.()
      stream.write(text.endsWith('\n') ? text : text + '\n')
      shared.draw?.()
    },
  }
  let outcome: {value: T} | {error: unknown} | undefined
  const list = new Listr(
    [
      {
        title,
        task: async (_ctx, t) => {
          task = t
          try {
            outcome = {value: await fn(line)}
          } catch (error) {
            outcome = {error}
          }
        },
      },
    ],
    {renderer: LineRenderer as never, rendererOptions: {shared} as never, exitOnError: false, registerSignalListeners: false},
  )
  await list.run()
  if (!outcome) throw new Error('the progress task did not run')
  if ('error' in outcome) throw outcome.error
  return outcome.value
}
