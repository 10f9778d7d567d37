/**
 * The recovery journal: every decision (acted or not, with its reason and timings) and the end of each action, one
 * JSON line each in `.dops/recovery/decisions.jsonl`. The newest lines are kept in memory (bounded) for the guards
 * (cooldown, ladder, budget, dedupe) and for `GET /recovery`; a restart reads them back.
 */
import {appendFile, mkdir, readFile, rename, stat} from 'node:fs/promises'
import path from 'node:path'
import type {Decision} from './types.js'

/** decisions kept in memory (the guards look back at most a few hours) */
const KEEP = 5000
/** the most of the file read back on open */
const READ_MAX = 8 * 1024 * 1024
/** a journal bigger than this is moved to `decisions.jsonl.1` (the one before is dropped), checked every 1000 lines */
const ROTATE_BYTES = 64 * 1024 * 1024

export function recoveryDir(projectDir: string): string {
  return path.join(projectDir, '.dops', 'recovery')
}

export class RecoveryJournal {
  private readonly lines: Decision[] = []
  private appended = 0
  readonly file: string

  constructor(projectDir: string) {
    this.file = path.join(recoveryDir(projectDir), 'decisions.jsonl')
  }

  async open(): Promise<void> {
    const text = await readFile(this.file, 'utf8').catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return ''
      throw e
    })
    for (const line of text.slice(-READ_MAX).split('\n')) {
      try {
        const d = JSON.parse(line) as Decision
        if (d && typeof d.id === 'string' && typeof d.at === 'string') this.lines.push(d)
      } catch {
        // a partial first line (the tail of a big file) or a torn last one
      }
    }
    this.lines.splice(0, Math.max(0, this.lines.length - KEEP))
    // a line torn by a crash is ended, so the next decision starts a line of its own
    if (text && !text.endsWith('\n')) await appendFile(this.file, '\n')
  }

  async append(d: Decision): Promise<void> {
    this.lines.push(d)
    if (this.lines.length > KEEP) this.lines.shift()
    await mkdir(path.dirname(this.file), {recursive: true})
    if (++this.appended % 1000 === 0 && ((await stat(this.file).catch(() => undefined))?.size ?? 0) > ROTATE_BYTES) await rename(this.file, `${this.file}.1`)
    await appendFile(this.file, `${JSON.stringify(d)}\n`, {mode: 0o600})
  }

  /** decisions (not their later lines) of an environment, oldest first */
  decisions(env: string | undefined): Decision[] {
    return this.lines.filter((d) => !d.of && (env === undefined || d.env === env))
  }

  /**
   * What the guards count: the decisions, an action whose job found the host fine (re-verified) counted as
   * suppressed (no cooldown, ladder step or budget spent on it)
   */
  effective(env: string | undefined): Decision[] {
    const stopped = new Map(this.lines.filter((d) => d.of && (d.outcome === 'verified-healthy' || d.outcome === 'suppressed')).map((d) => [d.of!, d.guard ?? 'healthy']))
    return this.decisions(env).map((d) => (stopped.has(d.id) ? {...d, outcome: 'suppressed', guard: stopped.get(d.id)} : d))
  }

  /** newest first, each decision with its latest state (a later line's outcome) merged in */
  list(filter: {env?: string; limit?: number} = {}): Array<Decision & {ended?: Decision}> {
    const ends = new Map<string, Decision>()
    for (const d of this.lines) if (d.of) ends.set(d.of, d)
    return this.decisions(filter.env)
      .reverse()
      .slice(0, Math.min(filter.limit ?? 100, 1000))
      .map((d) => (ends.has(d.id) ? {...d, ended: ends.get(d.id)} : d))
  }

  /** acted decisions whose action has not ended */
  inFlight(env: string): Decision[] {
    const ended = new Set(this.lines.filter((d) => d.of).map((d) => d.of))
    return this.decisions(env).filter((d) => d.outcome === 'acted' && !ended.has(d.id))
  }
}
