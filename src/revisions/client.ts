/**
 * The revision store's S3 client, loaded only when a command uses the store: region, endpoint and profile from the
 * plan's `revisions` (or the environment's AWS settings), one client per process and settings.
 */
import type {RevisionsSpec} from '../plan/types.js'
import {parseStoreUrl, type S3Location} from './url.js'

export interface StoreSettings {
  region?: string
  endpoint?: string
  profile?: string
}

export interface Store extends S3Location {
  url: string
  settings: StoreSettings
}

type S3Module = typeof import('@aws-sdk/client-s3')
export interface S3Handle {
  m: S3Module
  c: import('@aws-sdk/client-s3').S3Client
  region: string
}

const clients = new Map<string, Promise<S3Handle>>()

export function storeRegion(s: StoreSettings): string {
  return s.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1'
}

export function s3Client(s: StoreSettings): Promise<S3Handle> {
  const region = storeRegion(s)
  const key = JSON.stringify([region, s.endpoint ?? '', s.profile ?? ''])
  let c = clients.get(key)
  if (!c) {
    c = import('@aws-sdk/client-s3').then((m) => ({m, region, c: new m.S3Client({region, endpoint: s.endpoint, forcePathStyle: !!s.endpoint, profile: s.profile, maxAttempts: 5, retryMode: 'standard'})}))
    clients.set(key, c)
  }
  return c
}

export const settingsOf = (spec: RevisionsSpec | undefined): StoreSettings => ({region: spec?.region, endpoint: spec?.endpoint, profile: spec?.profile})

/** The store a command uses: `--to` when given, else the plan's `revisions.store`. */
export function openStore(spec: RevisionsSpec | undefined, to?: string): Store | undefined {
  const url = to ?? spec?.store
  if (!url) return undefined
  const loc = parseStoreUrl(url, to ? '--to' : 'revisions.store')
  return {...loc, url: `s3://${loc.bucket}${loc.prefix ? `/${loc.prefix}` : ''}`, settings: settingsOf(spec)}
}
