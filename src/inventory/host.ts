/** A resolved host: where it is, how to reach it, and what it belongs to. */
export interface Host {
  /** unique name in output and selections */
  name: string
  address: string
  port?: number
  user?: string
  identityFile?: string
  /** the dops group the host was resolved for */
  group: string
  /** every group the host is a member of (the dops group first) */
  groups: string[]
  env?: string
  labels: Record<string, string>
  vars: Record<string, unknown>
  /** merged SSH settings of plan, environment and group */
  ssh?: HostSsh
}

/** SSH settings that apply to a host (plan < environment < group), kept per host for the transport. */
export type HostSsh = import('../plan/types.js').SshSettings
