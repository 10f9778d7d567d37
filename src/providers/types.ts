/**
 * Providers find or create hosts; transports talk to them. A provider computes what must change for a group to
 * match its spec, applies it, and destroys what it created. Registered by name; a third-party provider is an object
 * with this shape, registered from a package or an oclif plugin (see docs/providers.md).
 */
import {DopsError} from '../errors.js'
import type {InstanceState} from '../state/local-file.js'

/** `create` failed after making some instances: they are recorded (so never made twice), then the error is shown. */
export class PartialCreateError extends DopsError {
  constructor(
    readonly created: InstanceState[],
    cause: DopsError,
  ) {
    super(cause.code, `${cause.message} (${created.length} instance(s) created before the failure are recorded: ${created.map((c) => c.name).join(', ')})`, {exitCode: cause.exitCode, cause})
  }
}

/** A live instance that differs from the group's spec in a way only a new instance fixes (size, image, storage). */
export interface Outdated {
  /** the instance's name (InstanceState.name) */
  name: string
  /** what differs, for `env plan`: e.g. "size t3.small -> t3.medium" */
  why: string[]
}

export interface ProviderContext {
  project: string
  env: string
  group: string
  projectDir: string
  /** the group's `instance` spec from the plan */
  spec: Record<string, unknown>
  /** provider settings from the plan's `providers` entry */
  settings: Record<string, unknown>
  /**
   * the id of the action this change belongs to (a recovery's decision): a provider that can makes its side effects
   * idempotent with it (EC2 `ClientToken`), so the same action retried never creates twice
   */
  idempotencyKey?: string
}

export interface Provider {
  readonly type: string
  /** why this provider cannot run here, or undefined */
  unavailable?(): string | undefined
  /** spec fields it cannot honour (reported as ignored, never silently dropped) */
  ignoredFields?(spec: Record<string, unknown>): string[]
  /** which recorded instances still exist */
  alive(ctx: ProviderContext, instances: InstanceState[]): Promise<InstanceState[]>
  create(ctx: ProviderContext, count: number, existing: InstanceState[]): Promise<InstanceState[]>
  destroy(ctx: ProviderContext, instances: InstanceState[]): Promise<void>
  /** check the spec can be honoured (image, size, ...) before anything of the environment is created */
  preflight?(ctx: ProviderContext): Promise<void>
  /** instances that exist for the group by the provider's own records (tags): recovers a lost state */
  discover?(ctx: ProviderContext): Promise<InstanceState[]>
  /** what `reconcile` would change in the group's settings besides instances (e.g. firewall rules), for `env plan` */
  drift?(ctx: ProviderContext): Promise<string[]>
  /** make those settings match the plan (`env up`, each run); returns the changes made */
  reconcile?(ctx: ProviderContext): Promise<string[]>
  /**
   * Recorded instances that exist but are stopped (EC2 `stopping`/`stopped`): they are never counted as gone nor
   * made again; `env plan` shows them and `env up` starts them (`start`) before anything else of the group.
   */
  stopped?(ctx: ProviderContext, instances: InstanceState[]): Promise<InstanceState[]>
  /** start stopped instances and wait until they run; returns them with their addresses now (an address may change) */
  start?(ctx: ProviderContext, instances: InstanceState[]): Promise<InstanceState[]>
  /**
   * Live instances that must be replaced to match the spec (size, image, storage, an Auto Scaling group's launch
   * template version). `env up` replaces them batch by batch, new hosts first (create, prepare, deploy, hostsJoined),
   * then the old ones leave (hostsLeft, drain, destroy). In-place changes (tags, Auto Scaling bounds, firewall) are
   * `drift`/`reconcile`, applied before any host is created or destroyed.
   */
  outdated?(ctx: ProviderContext, instances: InstanceState[]): Promise<Outdated[]>
  /** after `env down`: remove what is left of the environment (e.g. security groups) */
  cleanup?(ctx: ProviderContext): Promise<void>
}
