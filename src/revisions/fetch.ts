/**
 * Bring a stored revision into the local revision cache (`.dops/bundles/store/<sha256>.tgz`), its checksum verified
 * against the sha256 its key names (and its metadata) before it is used; a wrong download is removed, never kept.
 */
import {createHash} from 'node:crypto'
import {createWriteStream} from 'node:fs'
import {mkdir, rename, rm, stat} from 'node:fs/promises'
import path from 'node:path'
import {pipeline} from 'node:stream/promises'
import {Transform, type Readable} from 'node:stream'
import {DopsError, ExitCode, InvalidInputError} from '../errors.js'
import {s3Client, type StoreSettings} from './client.js'
import {isNotFound, storeError} from './errors.js'
import {fileSha256} from './push.js'
import {parseObjectUrl, shaOfKey} from './url.js'

export interface FetchedRevision {
  file: string
  url: string
  sha256: string
  bytes: number
  /** it was in the cache already */
  cached: boolean
  metadata: Record<string, string>
}

export async function fetchRevision(url: string, settings: StoreSettings, cacheDir: string): Promise<FetchedRevision> {
  const o = parseObjectUrl(url)
  const {m, c} = await s3Client(settings)
  const dir = path.join(cacheDir, 'store')
  const named = shaOfKey(o.key)
  const cachedFile = named ? path.join(dir, `${named}.tgz`) : undefined
  if (cachedFile && (await stat(cachedFile).catch(() => undefined)) && (await fileSha256(cachedFile)) === named) {
    return {file: cachedFile, url, sha256: named, bytes: (await stat(cachedFile)).size, cached: true, metadata: {}}
  }
  const r = await c.send(new m.GetObjectCommand({Bucket: o.bucket, Key: o.key})).catch((e: unknown) => {
    if (isNotFound(e)) throw new InvalidInputError(`revision ${url} is not in the store (no such object); nothing was deployed`)
    throw storeError(url, 'downloading the revision (GetObject)', e, settings.endpoint)
  })
  const meta = r.Metadata?.sha256
  if (meta !== undefined && !/^[0-9a-f]{64}$/.test(meta)) {
    throw new InvalidInputError(`revision ${url}: its sha256 metadata is not 64 lowercase hex digits; it was not used and nothing was deployed`)
  }
  const expected = named ?? meta
  if (!expected) throw new InvalidInputError(`revision ${url}: neither its key (…/<sha256>.tgz) nor its metadata give a checksum; dops only deploys verified revisions`)
  await mkdir(dir, {recursive: true})
  const tmp = path.join(dir, `.${expected}.${process.pid}.tmp`)
  const h = createHash('sha256')
  let bytes = 0
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      h.update(chunk)
      bytes += chunk.length
      cb(null, chunk)
    },
  })
  try {
    await pipeline(r.Body as Readable, tap, createWriteStream(tmp))
  } catch (e) {
    await rm(tmp, {force: true})
    throw storeError(url, 'downloading the revision', e, settings.endpoint)
  }
  const got = h.digest('hex')
  if (got !== expected || (r.Metadata?.sha256 && r.Metadata.sha256 !== expected)) {
    await rm(tmp, {force: true})
    throw new DopsError('REVISION_CORRUPT', `revision ${url} is damaged: its sha256 is ${got}, expected ${expected}; it was not used and nothing was deployed`, {exitCode: ExitCode.INVALID_INPUT})
  }
  const file = path.join(dir, `${expected}.tgz`)
  await rename(tmp, file)
  return {file, url, sha256: expected, bytes, cached: false, metadata: r.Metadata ?? {}}
}
