/**
 * The clients the DNS records need, loaded only when an environment has `dns:` on aws: Route 53 (global: region
 * us-east-1, the provider's endpoint and profile) and ELBv2 (the region of an alias's load balancer), one per
 * region, endpoint and profile for the run. API failures become DopsErrors with the provider exit code.
 */
import {DopsError} from '../../errors.js'
import type {ProviderContext} from '../types.js'
import {apiError} from './sdk.js'
import {elbv2Client, route53Client} from './clients.js'

/** The settings of an aws provider entry that these clients read. */
export interface AwsSettings {
  region?: string
  endpoint?: string
  profile?: string
  /** how long a Route 53 change may stay PENDING before env up gives up waiting (default 5m) */
  dnsTimeout?: string
}

export type {Elbv2 as Elb, Route53} from './clients.js'
export const route53 = (s: AwsSettings) => route53Client(s)
export const elbv2 = (s: AwsSettings) => elbv2Client(s)

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
