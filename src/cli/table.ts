/**
 * The only table printer (cli-table3). Columns take their content's width; on a terminal narrower than the table,
 * the widest columns shrink and their cells wrap, so a long host name never pushes the other columns off the line.
 * In a file or a pipe nothing wraps (one row, one line: grep-friendly).
 */
import {stripVTControlCharacters} from 'node:util'
import Table from 'cli-table3'

const GAP = 2
const MIN_COLUMN = 8

/** The usable width of a terminal stream, or undefined when it is not one or reports no width (0). */
export function terminalWidth(stream: NodeJS.WriteStream): number | undefined {
  return stream.isTTY && stream.columns > 0 ? stream.columns : undefined
}

const width = (s: string) => Math.max(0, ...stripVTControlCharacters(s).split('\n').map((l) => [...l].length))

/** Column widths that fit `limit`: the widest column gives up a character until the row fits (or every column is at its minimum: its heading, or 8). */
export function fitColumns(natural: number[], limit: number | undefined, heads: number[] = []): number[] {
  const w = [...natural]
  if (limit === undefined) return w
  const floor = natural.map((n, i) => Math.min(n, Math.max(MIN_COLUMN, heads[i] ?? 0)))
  let total = w.reduce((a, b) => a + b, 0) + GAP * (w.length - 1)
  while (total > limit) {
    let widest = -1
    for (let i = 0; i < w.length; i++) if (w[i]! > floor[i]! && (widest < 0 || w[i]! > w[widest]!)) widest = i
    if (widest < 0) break
    w[widest]!--
    total--
  }
  return w
}

/** `indent`: columns the caller prints before each line (the table fits in what is left of the terminal). */
export function formatTable(head: string[], rows: string[][], stream: NodeJS.WriteStream = process.stdout, indent = 0): string {
  const natural = head.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i] ?? ''))))
  const term = terminalWidth(stream)
  const colWidths = fitColumns(natural, term === undefined ? undefined : Math.max(1, term - indent), head.map(width))
  const wrap = colWidths.some((w, i) => w < natural[i]!)
  const table = new Table({
    head,
    ...(wrap ? {colWidths, wordWrap: true} : {}),
    wrapOnWordBoundary: false,
    chars: {top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '', left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: ' '.repeat(GAP)},
    style: {'padding-left': 0, 'padding-right': 0, head: [], border: [], compact: true},
  })
  table.push(...rows)
  return table.toString().split('\n').map((l) => l.trimEnd()).join('\n')
}

/** Each line of `text` after `n` spaces (a table under a heading). */
export function indent(text: string, n: number): string {
  return text
    .split('\n')
    .map((l) => ' '.repeat(n) + l)
    .join('\n')
}
