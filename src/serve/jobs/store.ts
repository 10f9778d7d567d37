/**
 * The job store of `dops serve`: append-only JSON lines under `.dops/serve/` (the server is their only writer).
 * - `jobs.jsonl`: a job's whole summary at each change of state; the last line of a job wins.
 * - `jobs/<id>.jsonl`: the job's events, in order (the SSE stream replays them after `Last-Event-ID`).
 * - `keys.jsonl`: idempotency keys (webhook deliveries, schedule slots) with their expiry; compacted at open.
 * A line cut short by a crash is skipped. Jobs a dead server left `queued` or `running` are `interrupted` at open.
 */
import {mkdir, open, readFile, rename, writeFile} from 'node:fs/promises'
import path from 'node:path'
import type {Job, JobEvent, JobStore} from '../types.js'

/** the summary file is rewritten with one line per job when it grows past this */
const COMPACT_BYTES = 8 * 1024 * 1024
/** jobs kept in the summary when compacting (newest first); their event logs stay on disk */
const KEEP_JOBS = 5000
const JOB_ID = /^j-[0-9]{8}-[0-9]{6}-[0-9a-f]{6}$/

export function serveDir(projectDir: string): string {
  return path.join(projectDir, '.dops', 'serve')
}

function parseLines<T>(text: string, valid: (v: unknown) => v is T): T[] {
  const out: T[] = []
  for (const line of text.split('\n')) {
    if (!line.trim()) continue
    try {
      const v: unknown = JSON.parse(line)
      if (valid(v)) out.push(v)
    } catch {
      // a line cut short by a crash
    }
  }
  return out
}

const isJob = (v: unknown): v is Job => typeof v === 'object' && v !== null && typeof (v as Job).id === 'string' && JOB_ID.test((v as Job).id) && typeof (v as Job).state === 'string'
const isEvent = (v: unknown): v is JobEvent => typeof v === 'object' && v !== null && typeof (v as JobEvent).seq === 'number'
const isKey = (v: unknown): v is {key: string; jobId: string; expiresAt: number} => typeof v === 'object' && v !== null && typeof (v as {key: unknown}).key === 'string' && typeof (v as {expiresAt: unknown}).expiresAt === 'number'

export class JsonlJobStore implements JobStore {
  private readonly dir: string
  private readonly jobs = new Map<string, Job>()
  private readonly keys = new Map<string, {jobId: string; expiresAt: number}>()
  private readonly seqs = new Map<string, number>()
  /** one write at a time, in the order asked */
  private chain: Promise<unknown> = Promise.resolve()
  private summaryBytes = 0

  constructor(projectDir: string) {
    this.dir = serveDir(projectDir)
  }

  async open(): Promise<void> {
    await mkdir(path.join(this.dir, 'jobs'), {recursive: true, mode: 0o700})
    const text = await readFile(this.file('jobs.jsonl'), 'utf8').catch(() => '')
    this.summaryBytes = Buffer.byteLength(text)
    for (const j of parseLines(text, isJob)) this.jobs.set(j.id, j)
    const now = Date.now()
    const keyText = await readFile(this.file('keys.jsonl'), 'utf8').catch(() => '')
    for (const k of parseLines(keyText, isKey)) if (k.expiresAt > now) this.keys.set(k.key, {jobId: k.jobId, expiresAt: k.expiresAt})
    await this.rewrite('keys.jsonl', [...this.keys].map(([key, v]) => ({key, ...v})))
    for (const j of [...this.jobs.values()]) {
      if (j.state !== 'running' && j.state !== 'queued') continue
      const was = j.state
      const job: Job = {...j, state: 'interrupted', endedAt: new Date().toISOString(), reason: `the server stopped while the job was ${was}`}
      await this.put(job)
      await this.appendEvent(job.id, {at: job.endedAt!, type: 'job.state', data: {state: job.state, reason: job.reason}})
    }
    if (this.summaryBytes > COMPACT_BYTES) await this.compact()
  }

  private file(name: string): string {
    return path.join(this.dir, name)
  }

  private eventsFile(id: string): string {
    if (!JOB_ID.test(id)) throw new Error(`not a job id: ${id}`)
    return path.join(this.dir, 'jobs', `${id}.jsonl`)
  }

  private write<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(fn, fn)
    this.chain = next.catch(() => undefined)
    return next
  }

  private async append(file: string, line: string, sync: boolean): Promise<void> {
    const fh = await open(file, 'a', 0o600)
    try {
      await fh.write(line)
      if (sync) await fh.datasync()
    } finally {
      await fh.close()
    }
  }

  private async rewrite(name: string, rows: unknown[]): Promise<void> {
    const tmp = this.file(`${name}.${process.pid}.tmp`)
    await writeFile(tmp, rows.map((r) => JSON.stringify(r) + '\n').join(''), {mode: 0o600})
    await rename(tmp, this.file(name))
  }

  private async compact(): Promise<void> {
    const keep = this.list({limit: KEEP_JOBS}).reverse()
    await this.write(() => this.rewrite('jobs.jsonl', keep))
    this.jobs.clear()
    for (const j of keep) this.jobs.set(j.id, j)
    this.summaryBytes = keep.reduce((n, j) => n + Buffer.byteLength(JSON.stringify(j)) + 1, 0)
  }

  async put(job: Job): Promise<void> {
    this.jobs.set(job.id, job)
    const line = JSON.stringify(job) + '\n'
    this.summaryBytes += Buffer.byteLength(line)
    const terminal = !['queued', 'running'].includes(job.state)
    await this.write(() => this.append(this.file('jobs.jsonl'), line, terminal))
  }

  get(id: string): Job | undefined {
    return this.jobs.get(id)
  }

  list(filter: Parameters<JobStore['list']>[0] = {}): Job[] {
    const out: Job[] = []
    const all = [...this.jobs.values()].sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.id < b.id ? 1 : -1))
    for (const j of all) {
      if (filter.env && j.env !== filter.env) continue
      if (filter.kind && j.kind !== filter.kind) continue
      if (filter.state && j.state !== filter.state) continue
      out.push(j)
      if (filter.limit && out.length >= filter.limit) break
    }
    return out
  }

  private async nextSeq(id: string): Promise<number> {
    let seq = this.seqs.get(id)
    if (seq === undefined) {
      const text = await readFile(this.eventsFile(id), 'utf8').catch(() => '')
      seq = parseLines(text, isEvent).reduce((m, e) => Math.max(m, e.seq), 0)
    }
    this.seqs.set(id, seq + 1)
    return seq + 1
  }

  /** Events get their numbers in the order this is called; they are written in that order. */
  appendEvent(id: string, event: Omit<JobEvent, 'seq'>): Promise<JobEvent> {
    return this.write(async () => {
      const e: JobEvent = {seq: await this.nextSeq(id), ...event}
      await this.append(this.eventsFile(id), JSON.stringify(e) + '\n', false)
      return e
    })
  }

  async events(id: string, afterSeq = 0): Promise<JobEvent[]> {
    await this.chain
    const text = await readFile(this.eventsFile(id), 'utf8').catch(() => '')
    return parseLines(text, isEvent).filter((e) => e.seq > afterSeq)
  }

  getKey(key: string): string | undefined {
    const k = this.keys.get(key)
    return k && k.expiresAt > Date.now() ? k.jobId : undefined
  }

  async putKey(key: string, jobId: string, ttlMs: number): Promise<void> {
    const expiresAt = Date.now() + ttlMs
    this.keys.set(key, {jobId, expiresAt})
    await this.write(() => this.append(this.file('keys.jsonl'), JSON.stringify({key, jobId, expiresAt}) + '\n', true))
  }

  async close(): Promise<void> {
    await this.chain
  }
}
