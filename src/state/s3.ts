/**
 * The environment's state in S3, for teams and CI: `s3://<bucket>/<prefix><project>/<env>.json`, locked by a lock
 * object beside it (`<env>.lock`) created with a conditional write (If-None-Match: *), so two dops processes on two
 * machines can never both hold it. The lock names its holder and carries a lease renewed every minute while the
 * command runs; a lock whose lease ran out (its holder crashed), or whose holder was a process of this machine that
 * no longer exists, is taken over, and the takeover itself is a
 * conditional delete of exactly the lock that was seen. The SDK is loaded only when this backend is used.
 */
import os from 'node:os'
import {parseState} from './validate.js'
import {DopsError, ExitCode} from '../errors.js'
import {processAlive} from '../util/process.js'
import {s3StateError} from './s3-errors.js'
import {emptyState, type EnvState, type StateBackend} from './local-file.js'

export interface S3StateSettings {
  bucket: string
  prefix?: string
  region?: string
  endpoint?: string
  profile?: string
  /** how long a lock holds without renewal (default 5 min) */
  leaseMs?: number
}

/** A lock object's body, or undefined when it is not one dops wrote (garbage, cut short): never trusted blindly. */
function parseLockBody(text: string): LockBody | undefined {
  try {
    const v = JSON.parse(text) as Partial<LockBody> | null
    if (v && typeof v.owner === 'string' && typeof v.pid === 'number' && typeof v.expiresAt === 'string' && !Number.isNaN(Date.parse(v.expiresAt))) return v as LockBody
  } catch {
    // not JSON
  }
  return undefined
}

interface LockBody {
  owner: string
  pid: number
  createdAt: string
  expiresAt: string
}

const S3 = () => import('@aws-sdk/client-s3')

export class S3State implements StateBackend {
  readonly url: string
  private readonly key: string
  private readonly lockKey: string
  private client?: Promise<{m: Awaited<ReturnType<typeof S3>>; c: import('@aws-sdk/client-s3').S3Client}>

  constructor(
    private readonly s: S3StateSettings,
    private readonly project: string,
    private readonly env: string,
  ) {
    const prefix = s.prefix ?? 'dops/'
    this.key = `${prefix}${project}/${env}.json`
    this.lockKey = `${prefix}${project}/${env}.lock`
    this.url = `s3://${s.bucket}/${this.key}`
  }

  private sdk() {
    this.client ??= S3().then((m) => ({m, c: new m.S3Client({region: this.region(), endpoint: this.s.endpoint, forcePathStyle: !!this.s.endpoint, profile: this.s.profile, maxAttempts: 8, retryMode: 'standard'})}))
    return this.client
  }

  private fail(what: string, e: unknown): never {
    throw s3StateError({url: this.url, bucket: this.s.bucket, key: this.key, endpoint: this.s.endpoint, region: this.region()}, what, e)
  }

  private region(): string {
    return this.s.region ?? process.env.AWS_REGION ?? 'us-east-1'
  }

  async read(): Promise<EnvState> {
    const {m, c} = await this.sdk()
    let text: string
    try {
      const r = await c.send(new m.GetObjectCommand({Bucket: this.s.bucket, Key: this.key}))
      text = await r.Body!.transformToString()
    } catch (e) {
      if ((e as {name?: string}).name === 'NoSuchKey') return emptyState(this.project, this.env)
      return this.fail('reading', e)
    }
    return parseState(this.url, text)
  }

  async write(st: EnvState): Promise<void> {
    // never replace a corrupt state that was not read: it may be the only record of the hosts dops created
    await this.read()
    const {m, c} = await this.sdk()
    await c.send(new m.PutObjectCommand({Bucket: this.s.bucket, Key: this.key, Body: JSON.stringify({...st, updatedAt: new Date().toISOString()}, null, 2), ContentType: 'application/json'})).catch((e) => this.fail('writing', e))
  }

  async lockHolder(): Promise<string | undefined> {
    const {m, c} = await this.sdk()
    const held = await c.send(new m.GetObjectCommand({Bucket: this.s.bucket, Key: this.lockKey})).catch((e: {name?: string}) => (e.name === 'NoSuchKey' ? undefined : this.fail('reading the lock', e)))
    if (!held) return undefined
    const info = parseLockBody(await held.Body!.transformToString())
    if (!info) return `an unreadable lock object s3://${this.s.bucket}/${this.lockKey} (not written by dops, or cut short)`
    return `${info.owner} (pid ${info.pid}) since ${info.createdAt}, lease until ${info.expiresAt}`
  }

  async forceUnlock(): Promise<string | undefined> {
    const {m, c} = await this.sdk()
    const holder = await this.lockHolder()
    if (holder) await c.send(new m.DeleteObjectCommand({Bucket: this.s.bucket, Key: this.lockKey})).catch((e) => this.fail('removing the lock', e))
    return holder
  }

  async withLock<T>(fn: () => Promise<T>): Promise<T> {
    const {m, c} = await this.sdk()
    const lease = this.s.leaseMs ?? 300_000
    const body = (): string => JSON.stringify({owner: `${os.userInfo().username}@${os.hostname()}`, pid: process.pid, createdAt: new Date().toISOString(), expiresAt: new Date(Date.now() + lease).toISOString()} satisfies LockBody)
    const status = (e: unknown) => (e as {$metadata?: {httpStatusCode?: number}}).$metadata?.httpStatusCode
    let etag: string | undefined
    for (let attempt = 0; attempt < 3 && !etag; attempt++) {
      try {
        etag = (await c.send(new m.PutObjectCommand({Bucket: this.s.bucket, Key: this.lockKey, Body: body(), IfNoneMatch: '*', ContentType: 'application/json'}))).ETag
        break
      } catch (e) {
        if (status(e) !== 412 && status(e) !== 409) this.fail('locking', e)
      }
      // held: by whom, and is the lease still running?
      const held = await c.send(new m.GetObjectCommand({Bucket: this.s.bucket, Key: this.lockKey})).catch((e: {name?: string}) => (e.name === 'NoSuchKey' ? undefined : this.fail('reading the lock', e)))
      if (!held) continue
      const info = parseLockBody(await held.Body!.transformToString())
      if (!info) throw new DopsError('STATE_LOCKED', `the lock object s3://${this.s.bucket}/${this.lockKey} is not a lock dops can read (not written by dops, or cut short); if no dops command is running on this environment, remove it with \`dops env unlock --yes\``, {exitCode: ExitCode.DEPLOY_LOCKED})
      // a holder on this machine whose process is gone is as dead as an expired lease
      const deadHere = info.owner === `${os.userInfo().username}@${os.hostname()}` && !processAlive(info.pid)
      if (Date.parse(info.expiresAt) > Date.now() && !deadHere) {
        throw new DopsError('STATE_LOCKED', `the environment state ${this.url} is locked by ${info.owner} (pid ${info.pid}) since ${info.createdAt}, until ${info.expiresAt} unless renewed; another dops env command is running`, {exitCode: ExitCode.DEPLOY_LOCKED})
      }
      // its holder stopped renewing it: remove exactly that lock (not one somebody else just took), then try again
      await c.send(new m.DeleteObjectCommand({Bucket: this.s.bucket, Key: this.lockKey, IfMatch: held.ETag})).catch(() => undefined)
    }
    if (!etag) throw new DopsError('STATE_LOCKED', `cannot lock ${this.url}`, {exitCode: ExitCode.DEPLOY_LOCKED})
    let held = etag
    const renew = setInterval(() => {
      void c
        .send(new m.PutObjectCommand({Bucket: this.s.bucket, Key: this.lockKey, Body: body(), IfMatch: held, ContentType: 'application/json'}))
        .then((r) => (held = r.ETag ?? held))
        .catch(() => undefined)
    }, Math.max(1000, Math.floor(lease / 5)))
    try {
      return await fn()
    } finally {
      clearInterval(renew)
      await c.send(new m.DeleteObjectCommand({Bucket: this.s.bucket, Key: this.lockKey, IfMatch: held})).catch(() => undefined)
    }
  }
}
