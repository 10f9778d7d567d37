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

export interface ProviderContext {
  project: string
  env: string
  group: string
  projectDir: string
  /** the group's `instance` spec from the plan */
  spec: Record<string, unknown>
  /** provider settings from the plan's `providers` entry */
  settings: Record<string, unknown>
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
  /** after `env down`: remove what is left of the environment (e.g. security groups) */
  cleanup?(ctx: ProviderContext): Promise<void>
}
