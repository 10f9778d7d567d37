/**
 * One pooled SSH connection: commands over session channels (stdin, client-side deadline, output held open, hard
 * stop killing the remote sessions), and tunnels for ProxyJump.
 */
import type {Duplex} from 'node:stream'
import type {Client, ClientChannel} from 'ssh2'
import {OutputCollector} from './output.js'
import {buildKillSessionsCommand} from './remote-command.js'
import {ConnectError, type Connection, type ExecOptions, type ExecResult} from './types.js'

/** How long to wait for the channel to close after the command exited, before closing it ourselves. */
export const OUTPUT_GRACE_MS = 2000

/** How long killing a connection's remote commands may take before the connection is closed anyway. */
export const KILL_DEADLINE_MS = 1500

export class SshConnection implements Connection {
  private killing?: Promise<void>
  constructor(
    readonly client: Client,
    private readonly label: string,
    /** how long the server has to open a session channel (a host frozen after login never does) */
    private readonly openTimeoutMs: number,
  ) {}

  /** Kill every command this connection runs on the host (their whole sessions); bounded, never throws. */
  killRemote(): Promise<void> {
    this.killing ??= new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, KILL_DEADLINE_MS)
      const done = () => {
        clearTimeout(timer)
        resolve()
      }
      try {
        this.client.exec(buildKillSessionsCommand(), (err, ch) => {
          if (err) return done()
          ch.on('close', done)
          ch.resume()
          ch.stderr.resume()
          ch.end()
        })
      } catch {
        done()
      }
    })
    return this.killing
  }

  forward(address: string, port: number, label: string): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      let late = false
      const timer = setTimeout(() => {
        late = true
        reject(new ConnectError('timeout', `jump host ${this.label} did not open a tunnel to ${label} (${address}:${port}) within ${this.openTimeoutMs / 1000}s`))
      }, this.openTimeoutMs)
      this.client.forwardOut('127.0.0.1', 0, address, port, (err, stream) => {
        clearTimeout(timer)
        if (late) return stream?.destroy()
        if (err) return reject(new ConnectError('unreachable', `jump host cannot reach ${label} (${address}:${port}): ${err.message}`))
        resolve(stream)
      })
    })
  }

  exec(command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      let late = false
      const openTimer = setTimeout(() => {
        late = true
        reject(new ConnectError('timeout', `${this.label}: the SSH server did not open a session within ${this.openTimeoutMs / 1000}s (the host stopped answering)`))
      }, this.openTimeoutMs)
      this.client.exec(command, (err, stream: ClientChannel) => {
        clearTimeout(openTimer)
        if (late) return stream?.close()
        if (err) return reject(new ConnectError('unreachable', `${this.label}: cannot open a channel: ${err.message}`))
        const output = new OutputCollector(opts)
        let exitCode: number | null = null
        let signal: string | undefined
        let deadlineExceeded = false
        let outputLeftOpen = false
        let graceTimer: NodeJS.Timeout | undefined
        stream.on('data', output.collect('stdout'))
        stream.stderr.on('data', output.collect('stderr'))
        // the connection itself going away (host down, network cut) is not the command being killed
        let connectionLost = false
        const onLost = () => {
          connectionLost = true
        }
        this.client.once('close', onLost)
        stream.on('exit', (code: number | null, sig?: string) => {
          exitCode = code
          signal = sig ?? undefined
          graceTimer = setTimeout(() => {
            outputLeftOpen = true
            stream.close()
          }, OUTPUT_GRACE_MS)
        })
        const deadline = opts.deadlineMs
          ? setTimeout(() => {
              deadlineExceeded = true
              stream.signal?.('KILL')
              stream.close()
            }, opts.deadlineMs)
          : undefined
        // a hard stop: kill the command's processes on the host (closing the channel alone leaves them running,
        // and sshd keeps the channel open until they exit), then close it
        let abortTimer: NodeJS.Timeout | undefined
        const onAbort = () => {
          void this.killRemote().finally(() => stream.close())
          // a host that no longer answers never confirms the close: give up on it
          abortTimer = setTimeout(() => stream.emit('close'), KILL_DEADLINE_MS + 500)
        }
        if (opts.signal?.aborted) onAbort()
        else opts.signal?.addEventListener('abort', onAbort, {once: true})
        stream.once('close', () => {
          clearTimeout(abortTimer)
          clearTimeout(graceTimer)
          clearTimeout(deadline)
          opts.signal?.removeEventListener('abort', onAbort)
          output.end()
          // ssh2 closes the channels before it emits the client's 'close': look once more after this turn
          setImmediate(() => {
            this.client.off('close', onLost)
            const lost = connectionLost || exitCode === null && signal === undefined && !deadlineExceeded && !outputLeftOpen && !opts.signal?.aborted
            const {stdout, stderr} = output.out
            resolve({exitCode, signal, stdout, stderr, deadlineExceeded, outputLeftOpen, truncated: output.truncated, ...(lost ? {connectionLost: true} : {})})
          })
        })
        if (opts.stdin !== undefined) stream.end(opts.stdin)
        else stream.end()
      })
    })
  }
}
