/**
 * The serve lease in the S3 state backend: `<prefix><project>/serve.lease`, created with a conditional write
 * (If-None-Match: *), renewed conditional on its ETag (If-Match), and taken over only when its lease ran out (or its
 * holder was a process of this machine that is gone) by replacing exactly the object that was seen (If-Match). The
 * shared schedule document `<prefix><project>/serve.schedules.json` beside it is changed the same way: read, change,
 * write If-Match the ETag read (If-None-Match when it did not exist), again on a conflict.
 */
import type {S3Client} from '@aws-sdk/client-s3'
import {processAlive} from '../util/process.js'
import {s3StateError} from '../state/s3-errors.js'
import type {StateSpec} from '../state/backend.js'
import {isStale, parseDoc, parseLease, type LeaseBackend, type LeaseRecord, type RenewResult, type SchedulesDoc, type SharedScheduleState} from './lease-common.js'

type Sdk = typeof import('@aws-sdk/client-s3')
interface Conn {
  m: Sdk
  c: S3Client
  bucket: string
}

const status = (e: unknown): number | undefined => (e as {$metadata?: {httpStatusCode?: number}}).$metadata?.httpStatusCode
const missing = (e: unknown): boolean => (e as {name?: string}).name === 'NoSuchKey' || status(e) === 404
const conflict = (e: unknown): boolean => status(e) === 412 || status(e) === 409

const conns = new Map<string, Promise<Conn>>()
function connect(s: StateSpec): Promise<Conn> {
  const key = JSON.stringify(s)
  let c = conns.get(key)
  if (!c) {
    c = import('@aws-sdk/client-s3').then((m) => ({
      m,
      bucket: s.bucket!,
      c: new m.S3Client({region: s.region ?? process.env.AWS_REGION ?? 'us-east-1', endpoint: s.endpoint, forcePathStyle: !!s.endpoint, profile: s.profile, maxAttempts: 3, retryMode: 'standard'}),
    }))
    conns.set(key, c)
  }
  return c
}

async function getText(conn: Conn, key: string): Promise<{text: string; etag?: string} | undefined> {
  try {
    const r = await conn.c.send(new conn.m.GetObjectCommand({Bucket: conn.bucket, Key: key}))
    return {text: await r.Body!.transformToString(), etag: r.ETag}
  } catch (e) {
    if (missing(e)) return undefined
    throw e
  }
}

export class S3Lease implements LeaseBackend {
  readonly where: string
  private readonly key: string
  private etag?: string

  constructor(
    private readonly s: StateSpec,
    project: string,
  ) {
    this.key = `${s.prefix ?? 'dops/'}${project}/serve.lease`
    this.where = `s3://${s.bucket}/${this.key}`
  }

  private async put(me: LeaseRecord, cond: {IfNoneMatch?: string; IfMatch?: string}): Promise<boolean> {
    const conn = await connect(this.s)
    try {
      const r = await conn.c.send(new conn.m.PutObjectCommand({Bucket: conn.bucket, Key: this.key, Body: JSON.stringify(me), ContentType: 'application/json', ...cond}))
      this.etag = r.ETag
      return true
    } catch (e) {
      if (conflict(e) || missing(e)) return false
      throw e
    }
  }

  async tryTake(me: LeaseRecord): Promise<{held: boolean; holder?: LeaseRecord}> {
    if (await this.put(me, {IfNoneMatch: '*'})) return {held: true}
    const seen = await getText(await connect(this.s), this.key)
    if (!seen) return {held: false}
    const holder = parseLease(seen.text)
    // ours (a write whose answer was lost), expired, its holder dead, or not a lease at all: replace exactly what was seen
    const free = !holder || holder.instance === me.instance || isStale(holder, processAlive)
    if (free && seen.etag && (await this.put(me, {IfMatch: seen.etag}))) return {held: true}
    return {held: false, holder}
  }

  async renew(me: LeaseRecord): Promise<RenewResult> {
    if (!this.etag) return 'lost'
    try {
      return (await this.put(me, {IfMatch: this.etag})) ? 'renewed' : 'lost'
    } catch {
      return 'error'
    }
  }

  async release(_me: LeaseRecord): Promise<void> {
    if (!this.etag) return
    const conn = await connect(this.s)
    await conn.c.send(new conn.m.DeleteObjectCommand({Bucket: conn.bucket, Key: this.key, IfMatch: this.etag})).catch(() => undefined)
    this.etag = undefined
  }
}

export class S3ScheduleState implements SharedScheduleState {
  readonly where: string
  private readonly key: string

  constructor(
    private readonly s: StateSpec,
    project: string,
  ) {
    this.key = `${s.prefix ?? 'dops/'}${project}/serve.schedules.json`
    this.where = `s3://${s.bucket}/${this.key}`
  }

  private fail(what: string, e: unknown): never {
    throw s3StateError({url: this.where, bucket: this.s.bucket!, key: this.key, endpoint: this.s.endpoint, region: this.s.region ?? process.env.AWS_REGION ?? 'us-east-1'}, what, e)
  }

  async read(): Promise<SchedulesDoc> {
    const conn = await connect(this.s)
    return parseDoc((await getText(conn, this.key).catch((e) => this.fail('reading the schedules', e)))?.text)
  }

  async update(change: (doc: SchedulesDoc) => SchedulesDoc | undefined): Promise<SchedulesDoc> {
    const conn = await connect(this.s)
    // bounded: a conflict means another writer just wrote; read again and apply the change to its document
    for (let attempt = 0; attempt < 8; attempt++) {
      const seen = await getText(conn, this.key).catch((e) => this.fail('reading the schedules', e))
      const before = parseDoc(seen?.text)
      const doc = change(before)
      if (!doc) return before
      try {
        await conn.c.send(new conn.m.PutObjectCommand({Bucket: conn.bucket, Key: this.key, Body: JSON.stringify(doc, null, 2), ContentType: 'application/json', ...(seen?.etag ? {IfMatch: seen.etag} : {IfNoneMatch: '*'})}))
        return doc
      } catch (e) {
        if (!conflict(e) && !missing(e)) this.fail('writing the schedules', e)
      }
    }
    throw new Error(`${this.where}: changed by others 8 times in a row while writing it`)
  }
}
