/** Transports talk to hosts; providers find or create them. */
import {DopsError, ExitCode} from '../errors.js'
import type {Host} from '../inventory/host.js'

export type ConnectFailure = 'unreachable' | 'timeout' | 'auth' | 'hostkey' | 'config'

/** A host that could not be reached: a clean error (exit 4) wherever it ends a command, never "a bug in dops". */
export class ConnectError extends DopsError {
  constructor(
    readonly kind: ConnectFailure,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(`SSH_${kind.toUpperCase()}`, message, {exitCode: ExitCode.NONE_SUCCEEDED})
    this.name = 'ConnectError'
  }
}

export interface ExecOptions {
  stdin?: string | Buffer
  /** client-side deadline in ms (the remote `timeout` should act first; this catches what it cannot) */
  deadlineMs?: number
  signal?: AbortSignal
  onOutput?: (stream: 'stdout' | 'stderr', chunk: string) => void
  /** bytes kept per stream in the result (default 1 MiB); the rest is counted, streamed, then dropped */
  maxBuffer?: number
}

export interface ExecResult {
  exitCode: number | null
  signal?: string
  stdout: string
  stderr: string
  /** the client-side deadline passed and the channel was closed */
  deadlineExceeded: boolean
  /** the command exited but something it started kept its output open; dops closed the channel */
  outputLeftOpen: boolean
  truncated: boolean
  /** the connection went away before the command reported how it ended */
  connectionLost?: boolean
}

export interface Connection {
  exec(command: string, opts?: ExecOptions): Promise<ExecResult>
}

export interface Transport {
  connect(host: Host): Promise<Connection>
  close(): Promise<void>
}
