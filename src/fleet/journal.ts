/**
 * The run journal: every run's hosts, options and per-host results under `<project>/.dops/runs/<id>.json`, written
 * atomically, so `dops run --retry-failed` can run again on exactly the hosts that did not succeed.
 */
import {randomBytes} from 'node:crypto'
import {readdir, readFile} from 'node:fs/promises'
import path from 'node:path'
import {DopsError, ExitCode, InvalidInputError} from '../errors.js'
import {specDamage, type JournalHost, type JournalSpec} from './journal-spec.js'
import type {RunOutcome} from './run.js'
import {writeJsonAtomic} from '../util/atomic-json.js'
import {checkShape, parseJsonText} from '../util/json-file.js'

export interface RunJournal extends RunOutcome {
  /** 2: the command is kept redacted with templates of its secrets (journal-spec.ts); 1: redacted only */
  version: 1 | 2
  runId: string
  retryOf?: string
  startedAt: string
  durationMs: number
  exitCode: number
  spec: JournalSpec
  options: Record<string, unknown>
  /** the targeted hosts, as resolved, so a retry needs neither the plan nor the inventory */
  hosts: JournalHost[]
}

export function newRunId(now = new Date()): string {
  const ts = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)
  return `${ts}-${randomBytes(3).toString('hex')}`
}

export function runsDir(projectDir: string): string {
  return path.join(projectDir, '.dops', 'runs')
}

export async function writeJournal(projectDir: string, j: RunJournal): Promise<string> {
  return writeJsonAtomic(path.join(runsDir(projectDir), `${j.runId}.json`), j)
}

export async function readJournal(projectDir: string, runId?: string): Promise<RunJournal> {
  const dir = runsDir(projectDir)
  let id = runId
  if (!id) {
    const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => /^\d{8}-\d{6}-[0-9a-f]+\.json$/.test(f)).sort()
    if (!files.length) throw new DopsError('NO_RUNS', `no run journal in ${dir}: there is nothing to retry`, {exitCode: ExitCode.NOTHING_TO_DO})
    id = files[files.length - 1]!.replace(/\.json$/, '')
  }
  if (!/^[0-9a-zA-Z-]+$/.test(id)) throw new InvalidInputError(`invalid run id \`${id}\``)
  const file = path.join(dir, `${id}.json`)
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (e) {
    throw new InvalidInputError(`cannot read run journal ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`)
  }
  const parsed = parseJsonText(file, text)
  const problem = 'problem' in parsed ? parsed.problem : checkShape(file, parsed.value, [['', 'object'], ['runId', 'string'], ['spec', 'object'], ['options', 'object'], ['hosts', 'array'], ['results', 'array']])
  if (problem) throw new InvalidInputError(`the run journal ${file} is damaged; it cannot be retried (run the command again without --retry-failed)`, [problem])
  const j = (parsed as {value: unknown}).value as RunJournal
  const bad = j.hosts.findIndex((h) => checkShape(file, h, [['', 'object'], ['name', 'string'], ['address', 'string']]))
  const badResult = j.results.findIndex((r) => checkShape(file, r, [['', 'object'], ['host', 'string'], ['status', 'string']]))
  const damaged = specDamage(j.spec)
  if (damaged) throw new InvalidInputError(`the run journal ${file} is damaged; it cannot be retried (run the command again without --retry-failed)`, [{file, path: damaged, message: 'expected the command (a text), its arguments (texts) or its script, and their templates (lists of texts and {ref} entries)'}])
  if (bad >= 0 || badResult >= 0) throw new InvalidInputError(`the run journal ${file} is damaged; it cannot be retried (run the command again without --retry-failed)`, [{file, path: bad >= 0 ? `hosts.${bad}` : `results.${badResult}`, message: bad >= 0 ? 'expected a host with a name and an address' : 'expected a result with a host and a status'}])
  return j
}

/** Hosts of a run that did not succeed: failed, unreachable, timed out, or never started. */
export function hostsToRetry(j: RunJournal): JournalHost[] {
  const bad = new Set(j.results.filter((r) => r.status !== 'ok').map((r) => r.host))
  return j.hosts.filter((h) => bad.has(h.name))
}
