/** The server (EC2/on-premises) appspec.yml, as the CodeDeploy agent reads it. */

/** Events whose scripts run, in lifecycle order (traffic events only with traffic control). */
export const SCRIPTED_EVENTS = [
  'BeforeBlockTraffic',
  'AfterBlockTraffic',
  'ApplicationStop',
  'BeforeInstall',
  'AfterInstall',
  'ApplicationStart',
  'ValidateService',
  'BeforeAllowTraffic',
  'AfterAllowTraffic',
] as const
export type ScriptedEvent = (typeof SCRIPTED_EVENTS)[number]

/** Events the agent (or dops) performs itself: scripts listed under them never run. */
export const RESERVED_EVENTS = ['Start', 'DownloadBundle', 'Install', 'BlockTraffic', 'AllowTraffic', 'End'] as const

/** Events whose scripts come from the previously installed revision (CodeDeploy's rule). */
export const PREVIOUS_REVISION_EVENTS: readonly ScriptedEvent[] = ['BeforeBlockTraffic', 'AfterBlockTraffic', 'ApplicationStop']

export const DEFAULT_HOOK_TIMEOUT_SEC = 3600
export const MAX_EVENT_TIMEOUT_SEC = 3600

export interface HookScript {
  location: string
  timeoutSec: number
  /** whether `timeout` was written (only written timeouts count towards an event's hour) */
  timeoutGiven?: boolean
  runas?: string
  sudo?: boolean
}

export interface FileMapping {
  source: string
  destination: string
}

export interface Permission {
  object: string
  pattern: string
  except: string[]
  type: Array<'file' | 'directory'>
  owner?: string
  group?: string
  /** octal digits as written, left-padded to at least 3 (`644`, `0755`, `1777`) */
  mode?: string
  acls: string[]
  context?: {name?: string; type: string; range?: string}
}

export type FileExistsBehavior = 'DISALLOW' | 'OVERWRITE' | 'RETAIN'

export interface Appspec {
  version: 0
  os: 'linux'
  files: FileMapping[]
  permissions: Permission[]
  hooks: Partial<Record<ScriptedEvent, HookScript[]>>
  fileExistsBehavior?: FileExistsBehavior
}

/**
 * `strict` (default): dops's reading, where the agent's footguns are errors (quoted version, relative destinations,
 * unknown or miscased events, timeouts over an hour per event, unquoted leading-zero modes, aliases).
 * `compat`: exactly what the agent accepts; footguns become warnings, and dops does what the file meant.
 */
export type AppspecMode = 'strict' | 'compat'
