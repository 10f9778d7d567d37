/**
 * The clients the DNS records need, loaded only when an environment has `dns:` on aws: Route 53 (global: region
 * us-east-1, the provider's endpoint and profile) and ELBv2 (the region of an alias's load balancer), one per
 * region, endpoint and profile for the run. API failures become DopsErrors with the provider exit code.
 */
import {createRequire} from 'node:module'
import {DopsError} from '../../errors.js'
import type {ProviderContext} from '../types.js'
import {apiError} from './sdk.js'

export type R53 = typeof import('@aws-sdk/client-route-53')
export type Elbv2 = typeof import('@aws-sdk/client-elastic-load-balancing-v2')

/** The settings of an aws provider entry that these clients read. */
export interface AwsSettings {
  region?: string
  endpoint?: string
  profile?: string
  /** how long a Route 53 change may stay PENDING before env up gives up waiting (default 5m) */
  dnsTimeout?: string
}

export interface Route53 {
  m: R53
  c: import('@aws-sdk/client-route-53').Route53Client
}
export interface Elb {
  m: Elbv2
  c: import('@aws-sdk/client-elastic-load-balancing-v2').ElasticLoadBalancingV2Client
}

const made = new Map<string, unknown>()
const load = createRequire(import.meta.url)

function cached<T>(key: string, make: () => T): T {
  if (!made.has(key)) made.set(key, make())
  return made.get(key) as T
}

/** Route 53 is global: its API lives in us-east-1 whatever the provider's region. */
export function route53(s: AwsSettings): Route53 {
  return cached(JSON.stringify(['r53', s.endpoint ?? '', s.profile ?? '']), () => {
    const m = load('@aws-sdk/client-route-53') as R53
    return {m, c: new m.Route53Client({region: 'us-east-1', endpoint: s.endpoint, profile: s.profile, maxAttempts: 8, retryMode: 'standard'})}
  })
}

export function elbv2(s: AwsSettings): Elb {
  const region = s.region ?? process.env.AWS_REGION ?? 'us-east-1'
  return cached(JSON.stringify(['elbv2', region, s.endpoint ?? '', s.profile ?? '']), () => {
    const m = load('@aws-sdk/client-elastic-load-balancing-v2') as Elbv2
    return {m, c: new m.ElasticLoadBalancingV2Client({region, endpoint: s.endpoint, profile: s.profile, maxAttempts: 8, retryMode: 'standard'})}
  })
}

/** An API call of the DNS records failed: the provider's error (its exit code, the credentials hint), said as DNS's. */
export function dnsError(what: string, e: unknown): DopsError {
  const err = apiError({group: 'dns'} as ProviderContext, what, e)
  return new DopsError(err.code, err.message.replace(/^aws \(group dns\)/, 'aws (dns)'), {exitCode: err.exitCode})
}

/** Run one API call; a failure becomes a dnsError naming `what`. */
export async function call<T>(what: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f()
  } catch (e) {
    throw dnsError(what, e)
  }
}

export const errorName = (e: unknown): string => String((e as {name?: string})?.name ?? '')
