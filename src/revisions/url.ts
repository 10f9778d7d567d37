/**
 * Where revisions live: `s3://bucket/prefix` (the store) and `s3://bucket/prefix/<app>/<sha256>.tgz` (one revision,
 * content-addressed: the key is the sha256 of the revision archive, so the same bundle is stored once).
 */
import {InvalidInputError} from '../errors.js'

export interface S3Location {
  bucket: string
  /** key prefix without leading or trailing `/` ('' for the bucket's root) */
  prefix: string
}

export interface S3Object {
  bucket: string
  key: string
}

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/
const SHA256 = /^[0-9a-f]{64}$/
const APP = /^[A-Za-z0-9][A-Za-z0-9._-]*$/

export const isS3Url = (s: string | undefined): s is string => !!s && s.startsWith('s3://')

export function parseStoreUrl(url: string, what = 'the revision store'): S3Location {
  const m = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(url)
  if (!m || !BUCKET.test(m[1]!)) throw new InvalidInputError(`${what} \`${url}\`: expected s3://bucket/prefix (a valid bucket name)`)
  return {bucket: m[1]!, prefix: (m[2] ?? '').replace(/^\/+|\/+$/g, '')}
}

export function parseObjectUrl(url: string, what = 'the revision'): S3Object {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(url)
  if (!m || !BUCKET.test(m[1]!) || m[2]!.endsWith('/')) throw new InvalidInputError(`${what} \`${url}\`: expected s3://bucket/key (e.g. s3://bucket/prefix/app/<sha256>.tgz)`)
  return {bucket: m[1]!, key: m[2]!}
}

/** `prefix/app/` */
export function appPrefix(loc: S3Location, app: string): string {
  if (!APP.test(app)) throw new InvalidInputError(`app name \`${app}\` cannot be part of a store key`)
  return `${loc.prefix ? `${loc.prefix}/` : ''}${app}/`
}

/** The content-addressed key of a revision archive. */
export function revisionKey(loc: S3Location, app: string, sha256: string): string {
  if (!SHA256.test(sha256)) throw new Error(`not a sha256: ${sha256}`)
  return `${appPrefix(loc, app)}${sha256}.tgz`
}

/** The sha256 a content-addressed key names (`…/<sha256>.tgz`), if it is one. */
export function shaOfKey(key: string): string | undefined {
  const m = /(?:^|\/)([0-9a-f]{64})\.tgz$/.exec(key)
  return m?.[1]
}

export const objectUrl = (o: S3Object): string => `s3://${o.bucket}/${o.key}`
