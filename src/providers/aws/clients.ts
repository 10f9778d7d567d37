/**
 * The SDK clients besides EC2 and Auto Scaling (sdk.ts): loaded on first use (the CommonJS build, about half the load
 * time of the ES modules), one per service, region, endpoint and profile for the run, with the provider's retries.
 */
import {createRequire} from 'node:module'

export interface ClientSettings {
  region?: string
  endpoint?: string
  profile?: string
}

export type Elbv2Module = typeof import('@aws-sdk/client-elastic-load-balancing-v2')
export type Route53Module = typeof import('@aws-sdk/client-route-53')
export interface Elbv2 {
  m: Elbv2Module
  c: import('@aws-sdk/client-elastic-load-balancing-v2').ElasticLoadBalancingV2Client
  /** the cache key: service, region, endpoint and profile */
  where: string
}
export interface Route53 {
  m: Route53Module
  c: import('@aws-sdk/client-route-53').Route53Client
  where: string
}

const load = createRequire(import.meta.url)
const made = new Map<string, unknown>()

export const regionFrom = (s: ClientSettings) => s.region ?? process.env.AWS_REGION ?? 'us-east-1'

function client<T>(pkg: string, region: string, s: ClientSettings, make: (m: never, conf: Record<string, unknown>) => unknown): T {
  const where = JSON.stringify([pkg, region, s.endpoint ?? '', s.profile ?? ''])
  if (!made.has(where)) {
    const m = load(pkg) as never
    made.set(where, {m, c: make(m, {region, endpoint: s.endpoint, profile: s.profile, maxAttempts: 8, retryMode: 'standard'}), where})
  }
  return made.get(where) as T
}

export const elbv2Client = (s: ClientSettings): Elbv2 => client<Elbv2>('@aws-sdk/client-elastic-load-balancing-v2', regionFrom(s), s, (m: Elbv2Module, conf) => new m.ElasticLoadBalancingV2Client(conf))

/** Route 53 is global: its API lives in us-east-1 whatever the provider's region. */
export const route53Client = (s: ClientSettings): Route53 => client<Route53>('@aws-sdk/client-route-53', 'us-east-1', s, (m: Route53Module, conf) => new m.Route53Client(conf))
