/**
 * A pre-signed GET URL of a stored revision (`distribution: pull`: each host downloads it itself). It grants read
 * access to the object until it expires: treat it as a secret (never printed in full, never recorded).
 */
import {s3Client, type StoreSettings} from './client.js'
import {parseObjectUrl} from './url.js'

/** pre-signed URLs' default validity (`revisions.presignExpiry`) */
export const DEFAULT_PRESIGN_SECONDS = 15 * 60

export async function presignGet(url: string, settings: StoreSettings, expiresInSec = DEFAULT_PRESIGN_SECONDS): Promise<string> {
  const o = parseObjectUrl(url)
  const {m, c} = await s3Client(settings)
  const {getSignedUrl} = await import('@aws-sdk/s3-request-presigner')
  return getSignedUrl(c, new m.GetObjectCommand({Bucket: o.bucket, Key: o.key}), {expiresIn: Math.max(1, Math.min(Math.round(expiresInSec), 7 * 24 * 3600))})
}

/** A pre-signed URL as it may be shown: scheme, host and path; the query (credential and signature) elided. */
export function maskPresigned(u: string): string {
  const q = u.indexOf('?')
  return q < 0 ? u : `${u.slice(0, q)}?…`
}
