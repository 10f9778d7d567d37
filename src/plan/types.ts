/** The plan as loaded from dops.yml (shape defined by schemas/plan.schema.json). */
export type Duration = number | string
export type CountOrPercent = number | string
export type Vars = Record<string, string | number | boolean>

export interface SshSettings {
  user?: string
  port?: number
  identityFile?: string
  passphraseEnv?: string
  agent?: boolean
  config?: string | boolean
  knownHosts?: string[]
  hostKeyChecking?: 'strict' | 'accept-new'
  proxyJump?: string
  connectTimeout?: Duration
  commandTimeout?: Duration
  keepaliveInterval?: Duration
  maxHandshakes?: number
  concurrency?: number
}

export interface HostObject {
  name?: string
  address: string
  port?: number
  user?: string
  identityFile?: string
  labels?: Vars
  vars?: Vars
}
export type HostEntry = string | HostObject

export interface ScriptSpec {
  name?: string
  run?: string
  script?: string
  args?: string[]
  runAs?: string
  timeout?: Duration
}

export interface GroupSpec {
  description?: string
  provider?: string
  hosts?: HostEntry[]
  inventory?: string | {path: string; group?: string}
  instance?: Record<string, unknown> & {count?: number; firewall?: Array<{port: number | string; from?: string[]}>}
  labels?: Vars
  vars?: Vars
  ssh?: SshSettings
  dependsOn?: string[]
  bootstrap?: ScriptSpec[]
  apps?: string[]
  on?: {hostsJoined?: EventHandlerSpec[]; hostsLeft?: EventHandlerSpec[]; alert?: Record<string, AlertPolicy>}
  monitoring?: false | {exporters?: Record<string, ExporterSpec>; labels?: Record<string, string>}
}

/** An exporter on each host: its port, or port, path and scheme; `false` in a group turns one off. */
export type ExporterSpec = number | {port: number; path?: string; scheme?: 'http' | 'https'} | false

export interface MonitoringSpec {
  /** `host`: a monitoring host reached over SSH (a host of the plan's environment `env`, or an address) */
  targets: {dir: string; host?: string; env?: string}
  exporters?: Record<string, ExporterSpec>
  labels?: Record<string, string>
}

/** What an alert of a group does (`dops serve` receives it from Alertmanager). */
export interface AlertPolicy {
  action: 'restart' | 'replace' | 'run' | 'scale'
  app?: string
  script?: string
  by?: '+1' | '-1'
  /** PromQL: `dops monitor rules` writes the alert rule */
  expr?: string
  for?: Duration
  labels?: Record<string, string>
  annotations?: Record<string, string>
}

/** The guards of recovery and scaling from alerts, per environment (defaults in src/recover/settings.ts). */
export interface AutomationSpec {
  paused?: boolean
  dryRun?: boolean
  cooldown?: Duration
  grace?: Duration
  restarts?: number
  restartWindow?: Duration
  replaces?: number
  replaceWindow?: Duration
  budget?: CountOrPercent
  budgetWindow?: Duration
  minHealthy?: CountOrPercent
  storm?: number
}

export interface EventHandlerSpec {
  group: string
  run?: string
  script?: string
}

export interface EnvironmentSpec {
  description?: string
  vars?: Vars
  ssh?: SshSettings
  /** the provider of groups that name none (a restore target builds every source group with it) */
  provider?: string
  groups?: Record<string, GroupSpec>
  automation?: AutomationSpec
  /** `dops env restore` rebuilds this environment from that one; `groups` entries are then overrides */
  restoreFrom?: string
  restore?: {hooks?: RestoreHookSpec[]}
  loadBalancers?: Record<string, LoadBalancerSpec>
  dns?: DnsSpec
}

/** A command `env restore` runs once the hosts of group `after` are ready (data restore stays the user's). */
export interface RestoreHookSpec {
  name?: string
  after: string
  /** default: `after` */
  group?: string
  run?: string
  script?: string
  timeout?: Duration
}

export type LbProtocol = 'HTTP' | 'HTTPS' | 'TCP' | 'TLS' | 'UDP' | 'TCP_UDP'

export interface LoadBalancerSpec {
  /** a name under `providers`; default: that of the group of its first target group */
  provider?: string
  /** default application */
  type?: 'application' | 'network'
  /** default internet-facing */
  scheme?: 'internet-facing' | 'internal'
  subnets?: string[]
  securityGroups?: string[]
  firewall?: Array<{port: number | string; protocol?: string; from: string[]}>
  idleTimeout?: Duration
  listeners: Array<{port: number; protocol?: LbProtocol; certificate?: string; targets: string; rules?: Array<{path?: string; host?: string; priority?: number; targets: string}>}>
  targetGroups: Record<string, TargetGroupSpec>
}

export interface TargetGroupSpec {
  group: string
  port: number
  protocol?: LbProtocol
  deregistrationDelay?: Duration
  healthCheck?: {path?: string; port?: number | 'traffic-port'; protocol?: 'HTTP' | 'HTTPS' | 'TCP'; interval?: Duration; timeout?: Duration; healthy?: number; unhealthy?: number; matcher?: string}
}

export interface DnsSpec {
  provider?: string
  zone?: string
  zoneId?: string
  /** A records' TTL, default 60 */
  ttl?: number
  /** `alias`: a load balancer of the environment; `group`: A records of that group's ready hosts' addresses */
  records: Array<{name: string; alias?: string; group?: string; ttl?: number}>
}

/** The central revision store (`dops bundle push`, `revisions list`, `deploy --revision s3://…`, `distribution: pull`). */
export interface RevisionsSpec {
  /** s3://bucket/prefix */
  store: string
  region?: string
  endpoint?: string
  profile?: string
  /** pre-signed URLs' validity, default 15m */
  presignExpiry?: Duration
}

export interface ProviderSpec {
  type: string
  [key: string]: unknown
}

export interface AppSpec {
  /** a directory or archive, or a revision in the store (`s3://bucket/prefix/app/<sha256>.tgz`) */
  source: string
  /** push (default): dops streams the revision to each host; pull: each host downloads it from the revision store */
  distribution?: 'push' | 'pull'
  build?: string
  /** deploy on code push (`dops serve`'s webhooks) */
  trigger?: AppTrigger
  [key: string]: unknown
}

export interface AppTrigger {
  /** `owner/name` as the forge names it */
  repo: string
  /** default `main` */
  branch?: string
  env: string
  /** where the commit is fetched from (default: the delivery's clone URL); a local bare repository works too */
  url?: string
  /** the revision's directory inside the repository (default: its root) */
  path?: string
}

/** What a schedule runs: a command or a project script, as `dops run` would. */
export interface ScheduleRunSpec {
  command?: string
  script?: string
  args?: string[]
  group?: string | string[]
  labels?: string[]
  hosts?: string[]
  batch?: CountOrPercent | CountOrPercent[]
  maxFailures?: CountOrPercent
  timeout?: string | number
  sudo?: boolean
}

export interface ScheduleSpec {
  description?: string
  cron: string
  /** IANA zone; default UTC */
  timezone?: string
  env?: string
  run?: ScheduleRunSpec
  deploy?: {app: string; revision?: string}
  /** default forbid */
  overlap?: 'forbid' | 'allow' | 'replace'
  catchUp?: string | number
  enabled?: boolean
}

export interface Plan {
  version: 1
  project: string
  description?: string
  ssh?: SshSettings
  vars?: Vars
  providers?: Record<string, ProviderSpec>
  state?: import('../state/backend.js').StateSpec
  environments?: Record<string, EnvironmentSpec>
  apps?: Record<string, AppSpec>
  schedules?: Record<string, ScheduleSpec>
  monitoring?: MonitoringSpec
  revisions?: RevisionsSpec
}

/** A plan with where it came from: the file, its directory (relative paths), positions, and secret values. */
export interface LoadedPlan {
  file: string
  dir: string
  plan: Plan
  source: import('./yaml-source.js').YamlSource
  /** values that came from ${env:..} or ${file:..}; redacted from all output */
  secrets: string[]
  /** each secret's source (`env:NAME`, `file:/absolute/path`), for a retry that must rebuild a command */
  secretRefs?: Map<string, string>
}
