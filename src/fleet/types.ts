import type {ConnectFailure} from '../transport/types.js'

export type HostStatus = 'ok' | 'failed' | 'unreachable' | 'timedout' | 'skipped'

/** One host's outcome: data, never an exception. */
export interface HostResult {
  host: string
  address: string
  group: string
  status: HostStatus
  exitCode: number | null
  stdout: string
  stderr: string
  durationMs: number
  /** 1-based batch number */
  batch: number
  error?: string
  errorKind?: ConnectFailure | 'timeout' | 'interrupted' | 'budget' | 'gate' | 'hook' | 'conflict' | 'connection-lost'
  warning?: string
}

export interface RunSummary {
  total: number
  ok: number
  failed: number
  unreachable: number
  timedout: number
  skipped: number
}
