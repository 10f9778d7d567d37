/**
 * The REST API's answers as the dashboard reads them (see docs/serve.md): only the fields the page shows, all
 * optional where an older server or a part not running may leave them out. Everything in them is untrusted text
 * (plans, hosts, hook output) and is escaped where it is shown.
 */
export interface HistoryView {
  deploymentId: string
  kind?: string
  app: string
  status: string
  revision?: string
  startedAt?: string
  durationMs?: number
  ok?: number
  failed?: number
  hosts?: Array<{host: string; status: string; events?: Array<{event: string; ms?: number; ok?: boolean}>}>
}

export interface EnvSummaryView {
  name: string
  groups?: number
  hosts?: number
  health?: string
  lastDeployment?: HistoryView
  locked?: {holder?: string}
}

export interface EnvsView {
  project?: string
  envs: EnvSummaryView[]
}

export interface HostView {
  name: string
  address?: string
  group?: string
  labels?: Record<string, unknown>
  state?: string
  revisions?: Record<string, string | null | undefined>
  health?: Record<string, {healthy: boolean; reason?: string} | null | undefined>
  checkedAt?: string
}

export interface GroupView {
  group: string
  provider?: string
  desired?: number
  actual?: number
  apps?: Array<{app: string; revision?: string; revisions?: string[]; mixed?: boolean}>
  hosts?: HostView[]
}

export interface EnvView {
  project?: string
  env: string
  checkedAt?: string
  groups: GroupView[]
  lastDeployment?: HistoryView
  locked?: {holder?: string}
}

/** What the server renders the page from and hands to the page's script (the `dops-boot` JSON block). */
export interface BootData {
  version: string
  publicRead: boolean
  /** the environment shown (`?env=`, else the first) */
  env?: string
  envs?: EnvsView
  envData?: EnvView
  leader?: {isLeader: boolean; holder?: {owner: string; expiresAt: string}}
}
