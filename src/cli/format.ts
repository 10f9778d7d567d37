/** The only chalk user. Colours follow NO_COLOR / FORCE_COLOR and whether the stream is a terminal. */
import {Chalk, type ChalkInstance} from 'chalk'
import {formatProblem, type Problem} from '../errors.js'
import type {HostResult, RunSummary} from '../fleet/types.js'
import type {RunPreview} from '../run-job.js'
import {formatMs} from '../util/duration.js'

export function colorFor(stream: NodeJS.WriteStream): ChalkInstance {
  const env = process.env
  let level: 0 | 1 | 2 | 3 = stream.isTTY ? 2 : 0
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') level = 0
  if (env.FORCE_COLOR !== undefined) level = env.FORCE_COLOR === '0' || env.FORCE_COLOR === 'false' ? 0 : (Math.min(3, Math.max(1, Number(env.FORCE_COLOR) || 1)) as 1 | 2 | 3)
  return new Chalk({level})
}

const STATUS_WORD: Record<HostResult['status'], string> = {ok: 'ok', failed: 'FAILED', unreachable: 'UNREACHABLE', timedout: 'TIMED OUT', skipped: 'skipped'}

export function statusWord(c: ChalkInstance, r: HostResult): string {
  const w = STATUS_WORD[r.status]
  return r.status === 'ok' ? c.green(w) : r.status === 'skipped' ? c.dim(w) : c.red(w)
}

/** One host's block in grouped output. */
export function formatHostBlock(c: ChalkInstance, r: HostResult): string {
  const head = `${c.bold(r.host)} ${c.dim(r.address)} ${statusWord(c, r)}${r.exitCode !== null && r.exitCode !== 0 ? c.red(` (exit ${r.exitCode})`) : ''} ${c.dim(formatMs(r.durationMs))}`
  const lines = [`── ${head}`]
  if (r.stdout) lines.push(r.stdout.replace(/\n$/, ''))
  if (r.stderr) lines.push(c.yellow(r.stderr.replace(/\n$/, '')))
  if (r.error && r.status !== 'failed') lines.push(c.red(r.error))
  if (r.warning) lines.push(c.yellow(`warning: ${r.warning}`))
  return lines.join('\n')
}

/** A plain progress line for CI logs. */
export function formatHostLine(c: ChalkInstance, r: HostResult): string {
  return `[${r.host}] ${statusWord(c, r)} ${formatMs(r.durationMs)}${r.error ? ` — ${r.error}` : ''}`
}

export function formatSummary(c: ChalkInstance, s: RunSummary, durationMs: number, results: HostResult[]): string {
  const parts = [
    c.green(`${s.ok} ok`),
    (s.failed ? c.red : c.dim)(`${s.failed} failed`),
    (s.unreachable ? c.red : c.dim)(`${s.unreachable} unreachable`),
    (s.timedout ? c.red : c.dim)(`${s.timedout} timed out`),
  ]
  if (s.skipped) parts.push(c.yellow(`${s.skipped} skipped`))
  const lines = [`${s.total} host${s.total === 1 ? '' : 's'}: ${parts.join(', ')} in ${formatMs(durationMs)}`]
  const bad = results.filter((r) => r.status !== 'ok' && r.status !== 'skipped')
  for (const r of bad.slice(0, 20)) lines.push(`  ${r.host}: ${statusWord(c, r)}${r.error ? ` — ${r.error}` : ''}`)
  if (bad.length > 20) lines.push(`  … and ${bad.length - 20} more (see --json or the journal)`)
  return lines.join('\n')
}

export function formatProblems(c: ChalkInstance, problems: Problem[]): string {
  return problems.map((p) => (p.severity === 'warning' ? c.yellow(formatProblem(p)) : formatProblem(p))).join('\n')
}

/** The line under a dry run's table: what would run, where, and how it would stop. */
export function formatPreview(c: ChalkInstance, p: RunPreview): string {
  const what = p.command !== undefined ? `\`${p.command}\`` : p.script ? `script ${p.script}${p.args?.length ? ' ' + p.args.join(' ') : ''}` : 'the recorded command'
  const as = p.runAs ? ` as ${p.runAs}` : p.sudo ? ' as root (sudo)' : ''
  const batches = `${p.batches.length} batch${p.batches.length === 1 ? '' : 'es'}`
  const budget = p.failureBudget === undefined ? 'no failure budget' : `failure budget ${p.failureBudget}`
  const retry = p.retryOf ? ` (retry of run ${p.retryOf})` : ''
  return c.yellow(`dry run: would run ${what}${as} on ${p.total} host${p.total === 1 ? '' : 's'} in ${batches}, ${budget}${retry}; nothing was run`)
}
