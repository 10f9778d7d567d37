/** The human view of `dops deploy show`: hosts × lifecycle events with status, duration and output tail. */
import type {ChalkInstance} from 'chalk'
import type {ShowReport, ShownHost} from '../deploy/show-job.js'
import {formatMs} from '../util/duration.js'
import {formatOutputTail} from './output-tail.js'

const WORD: Record<string, (c: ChalkInstance) => string> = {
  ok: (c) => c.green('ok'),
  failed: (c) => c.red('FAILED'),
  skipped: (c) => c.dim('skipped'),
  ignored: (c) => c.yellow('failed, ignored'),
  unreachable: (c) => c.red('UNREACHABLE'),
  timedout: (c) => c.red('TIMED OUT'),
}
const word = (c: ChalkInstance, s: string) => (WORD[s] ? WORD[s](c) : s)

function hostBlock(c: ChalkInstance, h: ShownHost, allTails: boolean, indent: string): string[] {
  const lines = [`${indent}${c.bold(h.host)} ${c.dim(`(${h.group}, batch ${h.batch})`)} ${word(c, h.status)} ${c.dim(formatMs(h.durationMs))}${h.error ? ` — ${h.error}` : ''}`]
  const width = Math.max(0, ...h.events.map((e) => e.event.length))
  for (const e of h.events) {
    const time = e.ms !== undefined ? formatMs(e.ms) : e.scripts.length ? formatMs(e.scripts.reduce((n, s) => n + s.ms, 0)) : ''
    const extra = e.reason ? c.dim(` (${e.reason})`) : e.from === 'previous' ? c.dim(' (previous revision)') : ''
    lines.push(`${indent}  ${e.event.padEnd(width)}  ${word(c, e.status)}${time ? ` ${c.dim(time)}` : ''}${e.rc ? c.red(` exit ${e.rc}`) : ''}${extra}`)
    if (allTails || e.status === 'failed' || e.status === 'ignored') {
      const tail = formatOutputTail(c, e.tail, `${indent}    `)
      if (tail) lines.push(tail)
    }
  }
  return lines
}

/** `allTails`: every event's output (one host asked for), else only the failed events'. */
export function formatDeployShow(c: ChalkInstance, r: ShowReport, allTails: boolean): string {
  const lines = [
    `${c.bold(r.kind)} ${r.deploymentId}: ${r.app} to ${r.env}, ${word(c, r.status === 'succeeded' ? 'ok' : r.status === 'failed-rolled-back' || r.status === 'failed' ? 'failed' : r.status)}${r.status === 'failed-rolled-back' ? ' (rolled back)' : ''}, exit ${r.exitCode}`,
    `  revision ${r.revision.id.slice(0, 12) || 'none'} (${r.revision.source}); started ${r.startedAt}; took ${formatMs(r.durationMs)}`,
  ]
  if (r.stopped) lines.push(c.yellow(`  ${r.stopped.message}`))
  for (const h of r.hosts) lines.push(...hostBlock(c, h, allTails, '  '))
  if (r.rollback) {
    lines.push(`  rollback to ${r.rollback.revision || 'the previous revision'}:${r.rollback.hosts.length ? '' : ' no host'}`)
    for (const h of r.rollback.hosts) lines.push(...hostBlock(c, h, allTails, '    '))
    if (r.rollback.message) lines.push(c.red(`    ${r.rollback.message}`))
  }
  lines.push(c.dim(`  record: ${r.file}`))
  return lines.join('\n')
}
