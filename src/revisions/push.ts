/**
 * Upload a revision archive to the store once: its key is its sha256, so when HeadObject finds the object the upload
 * is skipped. A small archive goes in one PutObject with If-None-Match: * (two pushes racing store it once); a large
 * one in 8 MiB parts, aborted when any part fails (nothing half-made is left to list or fetch).
 */
import {createHash} from 'node:crypto'
import {createReadStream} from 'node:fs'
import {open, stat} from 'node:fs/promises'
import os from 'node:os'
import {s3Client, type Store} from './client.js'
import {isNotFound, s3Status, storeError} from './errors.js'
import {objectUrl, revisionKey} from './url.js'

export const PART_SIZE = 8 * 1024 * 1024
/** archives above this size go in parts */
export const MULTIPART_THRESHOLD = 16 * 1024 * 1024

export interface RevisionMeta {
  app: string
  /** the revision's content id (hosts name it by its first 16 hex digits) */
  revision: string
  /** git commit of the working tree, when known */
  commit?: string
}

export interface PushResult {
  url: string
  bucket: string
  key: string
  sha256: string
  bytes: number
  /** the object was there already: nothing was uploaded */
  skipped: boolean
  /** how it was uploaded (none when skipped) */
  method: 'none' | 'put' | 'multipart'
  /** bytes sent to the store by this push */
  uploadedBytes: number
  metadata: Record<string, string>
}

export async function fileSha256(file: string): Promise<string> {
  const h = createHash('sha256')
  for await (const c of createReadStream(file)) h.update(c as Buffer)
  return h.digest('hex')
}

export function createdBy(): string {
  const user = process.env.DOPS_USER ?? (() => {
    try {
      return os.userInfo().username
    } catch {
      return 'unknown'
    }
  })()
  return `${user}@${os.hostname()}`
}

export async function pushRevision(store: Store, file: string, meta: RevisionMeta, opts: {sha256?: string; partSize?: number; threshold?: number} = {}): Promise<PushResult> {
  const sha256 = opts.sha256 ?? (await fileSha256(file))
  const bytes = (await stat(file)).size
  const key = revisionKey(store, meta.app, sha256)
  const url = objectUrl({bucket: store.bucket, key})
  const {m, c} = await s3Client(store.settings)
  const fail = (what: string, e: unknown) => storeError(url, what, e, store.settings.endpoint)
  const head = await c.send(new m.HeadObjectCommand({Bucket: store.bucket, Key: key})).catch((e: unknown) => {
    if (isNotFound(e)) return undefined
    throw fail('looking for the revision (HeadObject)', e)
  })
  const base = {url, bucket: store.bucket, key, sha256, bytes}
  if (head) return {...base, skipped: true, method: 'none', uploadedBytes: 0, metadata: head.Metadata ?? {}}
  const metadata: Record<string, string> = {app: meta.app, revision: meta.revision, 'created-by': createdBy(), 'created-at': new Date().toISOString(), sha256, ...(meta.commit ? {commit: meta.commit} : {})}
  const partSize = opts.partSize ?? PART_SIZE
  if (bytes <= (opts.threshold ?? MULTIPART_THRESHOLD)) {
    const {readFile} = await import('node:fs/promises')
    try {
      await c.send(new m.PutObjectCommand({Bucket: store.bucket, Key: key, Body: await readFile(file), ContentType: 'application/gzip', Metadata: metadata, IfNoneMatch: '*'}))
    } catch (e) {
      // another push stored the same content first: it is there, as wanted
      if (s3Status(e) === 412 || /PreconditionFailed/.test(String((e as Error).name))) return {...base, skipped: true, method: 'none', uploadedBytes: 0, metadata}
      throw fail('uploading the revision (PutObject)', e)
    }
    return {...base, skipped: false, method: 'put', uploadedBytes: bytes, metadata}
  }
  const created = await c.send(new m.CreateMultipartUploadCommand({Bucket: store.bucket, Key: key, ContentType: 'application/gzip', Metadata: metadata})).catch((e: unknown) => {
    throw fail('starting a multipart upload', e)
  })
  const uploadId = created.UploadId!
  const fh = await open(file, 'r')
  try {
    const parts: Array<{PartNumber: number; ETag?: string}> = []
    for (let n = 1, off = 0; off < bytes; n++, off += partSize) {
      const buf = Buffer.alloc(Math.min(partSize, bytes - off))
      await fh.read(buf, 0, buf.length, off)
      const r = await c.send(new m.UploadPartCommand({Bucket: store.bucket, Key: key, UploadId: uploadId, PartNumber: n, Body: buf}))
      parts.push({PartNumber: n, ETag: r.ETag})
    }
    await c.send(new m.CompleteMultipartUploadCommand({Bucket: store.bucket, Key: key, UploadId: uploadId, MultipartUpload: {Parts: parts}}))
  } catch (e) {
    await c.send(new m.AbortMultipartUploadCommand({Bucket: store.bucket, Key: key, UploadId: uploadId})).catch(() => undefined)
    throw fail('uploading the revision in parts (the upload was aborted)', e)
  } finally {
    await fh.close()
  }
  return {...base, skipped: false, method: 'multipart', uploadedBytes: bytes, metadata}
}
