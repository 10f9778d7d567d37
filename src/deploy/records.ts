/**
 * The project's deployment records, `.dops/deployments/<id>.json`: written once per deployment, read by
 * `deploy history`, `deploy show` and `rollback`. A record that cannot be read (truncated, not JSON, not a
 * deployment) is a located problem in that file only: it is skipped and the others keep working.
 */
import {readdir, readFile} from 'node:fs/promises'
import path from 'node:path'
import {InvalidInputError, type Problem} from '../errors.js'
import {writeJsonAtomic} from '../util/atomic-json.js'
import type {DeployReport} from './deploy-job.js'
import {OUTPUT_TAIL_LINES, type DeployHostResult} from './deploy-host.js'

export function deploymentsDir(projectDir: string): string {
  return path.join(projectDir, '.dops', 'deployments')
}

export async function writeDeployment(projectDir: string, r: DeployReport): Promise<void> {
  await writeJsonAtomic(path.join(deploymentsDir(projectDir), `${r.deploymentId}.json`), r)
}

/** A host result as recorded: durations in integer ms, output redacted, the failure's last lines of output. */
export function recordedHostResult(r: DeployHostResult, redact: (s: string) => string): DeployHostResult {
  const events = r.events.map((e) => (e.tail ? {...e, tail: e.tail.map((l) => clip(redact(l)))} : e))
  const out: DeployHostResult = {...r, durationMs: Math.round(r.durationMs), stdout: redact(r.stdout), stderr: redact(r.stderr), events}
  if (r.status === 'ok' || r.status === 'skipped') return out
  // the event that failed (or was in progress when the host timed out), else the host's last output
  const ev = events.find((e) => e.status === 'failed') ?? (r.status === 'timedout' ? events[events.length - 1] : undefined)
  const tail = ev?.tail ?? lastLines(out.stderr || out.stdout, OUTPUT_TAIL_LINES)
  return tail.length ? {...out, outputTail: tail} : out
}

/** A tail line as kept: at most 1000 characters (cut after redaction, so no part of a secret is kept). */
function clip(line: string): string {
  return line.length > 1000 ? `${line.slice(0, 1000)}…` : line
}

function lastLines(text: string, n: number): string[] {
  const lines = text.replace(/\n+$/, '').split('\n')
  return lines.length === 1 && lines[0] === '' ? [] : lines.slice(-n).map(clip)
}

export interface DeploymentRecords {
  /** the readable records, oldest first */
  deployments: DeployReport[]
  /** one warning per record that could not be read (file, line, column, why) */
  problems: Problem[]
}

/** Line and column (1-based) of a character offset. */
function lineCol(text: string, offset: number): {line: number; column: number} {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)))
  const line = before.split('\n').length
  return {line, column: before.length - before.lastIndexOf('\n')}
}

/** Why a parsed value is not a deployment record, or undefined when it is one. */
function notARecord(v: unknown): string | undefined {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return 'expected a JSON object (a deployment record)'
  const r = v as Record<string, unknown>
  for (const k of ['deploymentId', 'status', 'env', 'app', 'startedAt'] as const) if (typeof r[k] !== 'string') return `field \`${k}\`: expected a string`
  const rev = r.revision as Record<string, unknown> | undefined
  if (!rev || typeof rev !== 'object' || typeof rev.id !== 'string') return 'field `revision.id`: expected a string'
  if (!Array.isArray(r.results)) return 'field `results`: expected a list'
  return undefined
}

/** Parse one record's text: the record, or a located problem. */
export function parseDeploymentRecord(file: string, text: string, skipped = '; this record is skipped (delete or repair it)'): {record?: DeployReport; problem?: Problem} {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (e) {
    const msg = (e as Error).message
    const pos = /position (\d+)/.exec(msg)
    const at = lineCol(text, pos ? Number(pos[1]) : text.length)
    // the parser stopped at the end of the text: the file was cut short (a crash or a full disk while writing)
    const truncated = !pos || /end of JSON/i.test(msg) || Number(pos[1]) >= text.trimEnd().length
    return {problem: {file, ...at, severity: 'warning', message: `${truncated ? 'the record is truncated' : 'the record is not valid JSON'} (${msg})${skipped}`}}
  }
  const why = notARecord(value)
  if (why) return {problem: {file, line: 1, column: 1, severity: 'warning', message: `not a deployment record: ${why}${skipped}`}}
  return {record: value as DeployReport}
}

/**
 * Every record of the project, oldest first, with a warning for each one that cannot be read (skipped). `strict`:
 * a record that cannot be read is an error instead (for callers whose answer it could change, such as the desired
 * revision of `env up`).
 */
export async function readDeploymentRecords(projectDir: string, opts: {strict?: boolean} = {}): Promise<DeploymentRecords> {
  const dir = deploymentsDir(projectDir)
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.json')).sort()
  const deployments: DeployReport[] = []
  const problems: Problem[] = []
  for (const n of names) {
    const file = path.join(dir, n)
    const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => e)
    if (text instanceof Error) {
      problems.push({file, severity: 'warning', message: `cannot read the record: ${text.code ?? text.message}; it is skipped`})
      continue
    }
    const r = parseDeploymentRecord(file, text, opts.strict ? '; move it away: it only holds the history of one deployment' : undefined)
    if (r.record) deployments.push(r.record)
    else problems.push(opts.strict ? {...r.problem!, severity: 'error'} : r.problem!)
  }
  if (opts.strict && problems.length) throw new InvalidInputError(`${problems.length === 1 ? 'a deployment record' : `${problems.length} deployment records`} cannot be read`, problems)
  deployments.sort((a, b) => (a.startedAt < b.startedAt ? -1 : a.startedAt > b.startedAt ? 1 : 0))
  return {deployments, problems}
}

/** The readable records only (callers that have no way to show warnings). */
export async function readDeployments(projectDir: string): Promise<DeployReport[]> {
  return (await readDeploymentRecords(projectDir)).deployments
}
