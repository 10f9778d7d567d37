/**
 * Environment-level resources: what belongs to the environment rather than to one group (load balancers with their
 * target groups, DNS records). Each kind is an `EnvResource`; the env commands call them in the registry's order
 * (`envResources`: load balancers before DNS, whose aliases name them) and tear them down in reverse.
 *
 * Where they run in `env up`: one `resources` step after every group's hosts are provisioned and before the first
 * deploy (a target group exists before a deploy's traffic control needs it; a firewall rule `group:NAME` finds the
 * group's security group). After each state write, `follow` keeps members in step (targets registered and
 * deregistered, A records), as monitoring does. `env down` tears them down before any host is destroyed.
 *
 * Load balancers are made by a backend per provider type (`aws`: ELBv2; `local`: nginx on a sandbox host), chosen
 * by the load balancer's `provider` (default: that of the group of its first target group).
 */
import type {Host} from '../inventory/host.js'
import type {LoadedPlan} from '../plan/types.js'
import type {EnvState} from '../state/local-file.js'
import type {TransportSettings} from '../transport/factory.js'
import type {Reporter} from '../events.js'

/** What a resource needs of the environment: the plan, the env, where the project is, how hosts are reached. */
export interface ResourceScope {
  loaded: LoadedPlan
  envName: string
  projectDir: string
  connection?: Omit<TransportSettings, 'projectDir' | 'planSsh' | 'onHostKeyLearned'>
  reporter?: Reporter
  /** Ctrl-C: long waits (Route 53's INSYNC) stop early */
  signal?: AbortSignal
  /** persist the state as it is now, before a change that cannot be taken back (DNS records recorded pending) */
  save?(): Promise<void>
  /** the provider name and type, and its settings, for a name under `providers` */
  provider(name: string): {name: string; type: string; settings: Record<string, unknown>}
}

export interface EnvResource {
  /** its key in `state.resources` and in the plan's environment (`loadBalancers`, `dns`) */
  key: string
  /** does the plan's environment or the state give this kind anything to do? (nothing is loaded when not) */
  applies(s: ResourceScope, state: EnvState): boolean
  /** `env plan`: what `reconcile` would change, one line each: `+ load balancer web (application, internet-facing)`, `~ …: a -> b`, `- …` */
  drift(s: ResourceScope, state: EnvState): Promise<string[]>
  /** `env up`: bring them to the plan, recording what it made in `state.resources[key]`; returns the changes made (lines as `drift`) */
  reconcile(s: ResourceScope, state: EnvState): Promise<string[]>
  /** after each state write: members followed (hosts that became ready or left); returns what changed. Throws: a warning, the next write retries */
  follow?(s: ResourceScope, state: EnvState): Promise<string[]>
  /** `env down`: remove everything of this kind dops made for the environment (by state and by tags); returns what was removed */
  teardown(s: ResourceScope, state: EnvState): Promise<string[]>
  /** what remains after teardown (env down fails naming it) */
  leftovers?(s: ResourceScope, state: EnvState): Promise<string[]>
}

/** A provider type's load balancers: `names` are the environment's load balancers that this backend makes. */
export interface LbBackend {
  type: string
  drift(s: ResourceScope, names: string[], state: EnvState): Promise<string[]>
  reconcile(s: ResourceScope, names: string[], state: EnvState): Promise<string[]>
  follow?(s: ResourceScope, names: string[], state: EnvState): Promise<string[]>
  teardown(s: ResourceScope, state: EnvState): Promise<string[]>
  leftovers?(s: ResourceScope, state: EnvState): Promise<string[]>
  /** plan keys it ignores for a load balancer (reported by `env plan`, never silently dropped) */
  ignoredFields?(s: ResourceScope, name: string): string[]
  /** traffic control of one target group for deploys and drains */
  traffic(s: ResourceScope, targetGroup: string, state: EnvState): Promise<TrafficControl>
}

/**
 * A deploy's traffic control of one host (CodeDeploy's BlockTraffic/AllowTraffic): `block` takes the host out and
 * waits until no new request reaches it (deregistered, drained); `allow` puts it back and waits until it is in
 * service (healthy in the target group). Each returns an error text, or undefined when it worked.
 */
export interface TrafficControl {
  /** for progress and the deployment record: `target group web-80 (load balancer web)` */
  describe: string
  block(host: Host, signal?: AbortSignal): Promise<string | undefined>
  allow(host: Host, signal?: AbortSignal): Promise<string | undefined>
}

/** Backends by provider type; each registers itself (src/env/resources-list.ts imports them). */
export const lbBackends = new Map<string, LbBackend>()
export function registerLbBackend(b: LbBackend): void {
  lbBackends.set(b.type, b)
}

/** What `state.resources.loadBalancers` keeps per load balancer (the backend fills what it has). */
export interface LbRecord {
  /** the provider name (under `providers`) and its type */
  provider: string
  type: string
  arn?: string
  dnsName?: string
  /** the load balancer's canonical hosted zone (a Route 53 alias points there) */
  zoneId?: string
  securityGroup?: string
  /** local: the sandbox host that runs it */
  host?: {name: string; address: string}
  targetGroups: Record<string, {arn?: string; group: string; port: number}>
}
export type LbRecords = Record<string, LbRecord>
