/** The data of env commands: their parameters, the steps a plan is made of, and the report they return. */
import type {Reporter} from '../events.js'
import type {Outdated} from '../providers/types.js'
import type {DrainResult} from '../deploy/drain-job.js'
import type {TargetSource} from '../targets.js'
import type {TransportSettings} from '../transport/factory.js'

export interface EnvParams {
  source: TargetSource
  /** `dops env reconcile`: adopt hosts that appeared without dops and forget those that are gone; no create/destroy */
  reconcile?: boolean
  /** `dops scale`: desired host counts by group, remembered until the plan's count changes */
  scale?: Record<string, number>
  /**
   * `dops env up --replace HOST` (Terraform's -replace), a recovery's replace: these hosts are replaced
   * create-before-destroy like outdated ones (a host already gone is simply made again by the group's count)
   */
  replace?: string[]
  /** the action this run belongs to (a recovery's decision id): providers' idempotency key (EC2 ClientToken) */
  actionId?: string
  connection: Omit<TransportSettings, 'projectDir' | 'planSsh' | 'onHostKeyLearned'>
  yes?: boolean
  /** Ctrl-C: the step in progress finishes, nothing new starts, the state is saved (exit 6) */
  stopSignal?: AbortSignal
  /** asked (on a terminal) before destroying hosts when `yes` is not given; without it, `yes` is required */
  confirm?: (what: string) => Promise<boolean>
  reporter?: Reporter
  /** `env restore`: each app's revision (the source environment's), instead of the records' pin or the working tree's */
  revisions?: Record<string, DesiredRevision>
  /**
   * `env restore`'s hooks: called once a group's new hosts answered SSH and were bootstrapped, before they are marked
   * ready; false leaves them not ready (the next run prepares them again and calls it again) and ends the run (exit 3)
   */
  afterPrepare?: (group: string, hosts: string[]) => Promise<boolean>
}

/**
 * One step of `env up` (or `scale`, `reconcile`), in the order the executor applies them. `env plan` prints exactly
 * this list. Host names are those known when planning; hosts created by a `create` step are `new` in later steps.
 */
export type EnvStep =
  /** stopped instances (EC2 stopped/stopping) started again, before anything else of the group; their addresses may change */
  | {kind: 'start'; group: string; hosts: string[]}
  | {kind: 'announce'; group: string; event: 'hostsLeft'; hosts: string[]; gone: boolean; batch?: Batch}
  | {kind: 'drain'; group: string; hosts: string[]; batch?: Batch}
  | {kind: 'destroy'; group: string; hosts: string[]; batch?: Batch}
  /** recorded hosts that no longer exist (terminated outside dops) are dropped from the state */
  | {kind: 'forget'; group: string; hosts: string[]}
  /** `batch`: the new hosts of one replacement batch, made for `batch.replacing` (which leave at the batch's end) */
  | {kind: 'create'; group: string; count: number; batch?: Batch}
  | {kind: 'adopt'; group: string; hosts: string[]}
  | {kind: 'update'; group: string; settings: string[]}
  | {kind: 'prepare'; group: string; hosts: string[]; new: number; batch?: Batch}
  /**
   * deploy the app's desired revision where a host does not run it (`behind`: known now; plus new or prepared hosts);
   * in a replacement batch (`batch`): only to the hosts that batch created, all at once (they serve nothing yet)
   */
  | {kind: 'deploy'; app: string; revision: DesiredRevision; behind: string[] | undefined; newHosts: boolean; batch?: Batch}
  | {kind: 'announce'; group: string; event: 'hostsJoined'; hosts: string[]; new: number; batch?: Batch}
  /**
   * static hosts: `hosts` join the environment (recorded in the state; SSH waited for and bootstrap run when the group
   * has them; announced afterwards), `again` are joined hosts whose bootstrap changed (bootstrapped again only)
   */
  | {kind: 'join'; group: string; hosts: string[]; again: string[]; bootstrap: boolean}
  /** static hosts the plan no longer lists: dropped from the state; nothing is run on, removed from or destroyed on them */
  | {kind: 'leave'; group: string; hosts: string[]}
  /**
   * environment-level resources (load balancers, DNS) brought to the plan, after every group's hosts are provisioned
   * and before the first deploy; `changes`: per kind, its `+ / ~ / -` lines (planned, then those applied)
   */
  | {kind: 'resources'; changes: Array<{key: string; lines: string[]}>}

/**
 * One batch of a rolling replacement of a group's outdated hosts (create-before-destroy): its new hosts are created,
 * prepared, given the group's apps and announced, then the hosts they replace leave (hostsLeft, drain, destroy).
 */
export interface Batch {
  group: string
  /** 1-based number of this batch, and how many the group's replacement has */
  n: number
  of: number
  /** the outdated hosts this batch replaces, with why */
  replacing: Outdated[]
}

/** The revision an app's hosts should run: pinned by a rollback (or a deploy --revision) until the next deploy of the working tree, else the working tree's. */
export interface DesiredRevision {
  /** the host revision id, when known before deploying (a pinned one, or a source without `build`) */
  id?: string
  source: 'rollback' | 'revision' | 'working tree'
  /** the deployment that pinned it */
  deploymentId?: string
  /**
   * where the revision can be fetched when the local bundle cache lacks it (a revision store URL, `s3://…`, as the
   * deployment record says): deployed as `deploy --revision ORIGIN`
   */
  origin?: string
}

export interface GroupChange {
  group: string
  provider: string
  keep: number
  create: number
  /** hosts destroyed (scale down, or replaced: those are in `replace` too) */
  destroy: string[]
  /** recorded hosts that no longer exist: forgotten (announced with hostsLeft), nothing destroyed */
  gone?: string[]
  /** live hosts replaced by new ones (the provider's `outdated`), batch by batch, with why */
  replace?: Outdated[]
  /** hosts in a replacement batch, at most (create-before-destroy: the group has up to this many hosts more meanwhile) */
  replaceBatch?: number
  /** stopped hosts started again */
  start?: string[]
  /** hosts created earlier that never became ready (no SSH answer, or a failed bootstrap): up prepares them again */
  pending: number
  /** group settings besides hosts that differ from the plan (plan) or were brought to it (up), e.g. firewall rules */
  updates: string[]
  ignored: string[]
  apps: string[]
  /** static groups: hosts that join now, joined hosts bootstrapped again (their bootstrap changed), hosts that leave */
  static?: {joining: string[]; again: string[]; leaving: string[]}
}

/** One host's run of a bootstrap script or an event handler: what the journal keeps (secrets redacted). */
export interface HostRun {
  host: string
  status: string
  exitCode: number | null
  durationMs: number
  stdout: string
  stderr: string
  error?: string
}

export type Phases = Record<'provision' | 'wait' | 'bootstrap' | 'deploy' | 'events' | 'drain' | 'total', number>
export const noPhases = (): Phases => ({provision: 0, wait: 0, bootstrap: 0, deploy: 0, events: 0, drain: 0, total: 0})

export interface EnvReport {
  project: string
  env: string
  action: 'plan' | 'up' | 'down'
  /** the command that made the report, as shown: `env up`, `scale`, `env reconcile` (and their plans) */
  command?: string
  changes: GroupChange[]
  /** what `up` applies (plan, or up --dry-run) or applied, in order */
  steps: EnvStep[]
  changed: boolean
  bootstrap: Array<{group: string; script: string; ok: number; failed: number; errors: string[]; hosts: HostRun[]}>
  /** `record`: the deployment's own record (every host's hooks); `failed`: its failed hosts, with their output's tail */
  deployments: Array<{app: string; status: string; exitCode: number; deploymentId?: string; revision?: string; record?: string; failed?: HostRun[]}>
  events: Array<{group: string; event: 'hostsJoined' | 'hostsLeft'; handlerGroup: string; ok: number; failed: number; hosts: HostRun[]}>
  /** environment-level resources: per kind, the plan keys its provider ignores (e.g. `web: subnets` on local) */
  resources?: Array<{key: string; ignored: string[]}>
  /** hosts that did not answer SSH in time after they were created */
  waits: Array<{group: string; host: string; error: string}>
  /** env down: the static hosts it left as they are (never destroyed, nothing run on them), by group */
  untouched?: Array<{group: string; hosts: string[]}>
  /** apps taken out of traffic and stopped on hosts before they were destroyed */
  drains: DrainResult[]
  phases: Phases
  /** this command's id, and the journal file that keeps its report with every host's output */
  runId: string
  journal?: string
  /** why the command stopped early (interrupted), when it did */
  stopped?: string
  /** plan and up --dry-run: nothing was changed */
  dryRun?: boolean
  exitCode: number
}
