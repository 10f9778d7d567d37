/**
 * The last lines of a failed step's output, shown under its failure line (deploy, and for env and run output to
 * reuse). The lines come redacted from the core; here they are only indented, dimmed and bounded.
 */
import {stripVTControlCharacters} from 'node:util'
import type {ChalkInstance} from 'chalk'

export const TAIL_LINES = 10

/** `lines` (or the last `max` lines of a text), each indented under a failure line; '' when there is nothing. */
export function formatOutputTail(c: ChalkInstance, lines: string[] | string | undefined, indent = '    ', max = TAIL_LINES): string {
  if (lines === undefined) return ''
  const list = (typeof lines === 'string' ? lines.replace(/\n+$/, '').split('\n') : lines).filter((l, i, a) => l !== '' || i < a.length - 1)
  if (!list.length) return ''
  const shown = list.slice(-max)
  const head = list.length > max ? [`${indent}${c.dim(`… (last ${max} lines)`)}`] : []
  return [...head, ...shown.map((l) => `${indent}${c.dim('│')} ${printable(l)}`)].join('\n')
}

/**
 * What a terminal may be sent of a host's line: what a carriage return left visible, escape sequences and other
 * control characters removed (a host's output must not move the cursor or retitle the terminal).
 */
export function printable(line: string): string {
  // eslint-disable-next-line no-control-regex
  return stripVTControlCharacters(line.split('\r').filter(Boolean).pop() ?? '').replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '')
}
