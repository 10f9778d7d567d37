/**
 * A host that is this machine (`ansible_connection=local`): each command runs as `sh -c COMMAND` here, in its own
 * process group, with the same contract as a command over SSH (stdin, client-side deadline, abort, streamed output,
 * bounded buffers, output held open by a leftover process, exit code or signal). A deadline or an abort kills the
 * whole group; so does the second Ctrl-C (live.ts).
 */
import {spawn} from 'node:child_process'
import {StringDecoder} from 'node:string_decoder'
import {registerLive} from './live.js'
import {ConnectError, type Connection, type ExecOptions, type ExecResult} from './types.js'

/** as over SSH: how long the output may stay open after the command exited */
const OUTPUT_GRACE_MS = 2000

function killGroup(pid: number | undefined): void {
  if (!pid) return
  try {
    process.kill(-pid, 'SIGKILL')
  } catch {
    // already gone
  }
}

export class LocalConnection implements Connection {
  constructor(private readonly label: string) {}

  exec(command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    const max = opts.maxBuffer ?? 1024 * 1024
    return new Promise((resolve, reject) => {
      const child = spawn('/bin/sh', ['-c', command], {detached: true, stdio: ['pipe', 'pipe', 'pipe']})
      const out = {stdout: '', stderr: ''}
      let truncated = false
      let deadlineExceeded = false
      let outputLeftOpen = false
      let exited: {code: number | null; signal?: string} | undefined
      let graceTimer: NodeJS.Timeout | undefined
      const decoders = {stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8')}
      const take = (which: 'stdout' | 'stderr', s: string) => {
        if (!s) return
        opts.onOutput?.(which, s)
        const room = max - out[which].length
        if (s.length > room) truncated = true
        if (room > 0) out[which] += s.slice(0, room)
      }
      child.stdout.on('data', (c: Buffer) => take('stdout', decoders.stdout.write(c)))
      child.stderr.on('data', (c: Buffer) => take('stderr', decoders.stderr.write(c)))
      const unregister = registerLive({stop: async () => killGroup(child.pid)})
      const deadline = opts.deadlineMs
        ? setTimeout(() => {
            deadlineExceeded = true
            killGroup(child.pid)
          }, opts.deadlineMs)
        : undefined
      const onAbort = () => killGroup(child.pid)
      if (opts.signal?.aborted) onAbort()
      else opts.signal?.addEventListener('abort', onAbort, {once: true})
      let settled = false
      const finish = () => {
        if (settled) return
        settled = true
        clearTimeout(deadline)
        clearTimeout(graceTimer)
        opts.signal?.removeEventListener('abort', onAbort)
        unregister()
        for (const which of ['stdout', 'stderr'] as const) take(which, decoders[which].end())
        resolve({exitCode: exited?.code ?? null, signal: exited?.signal, stdout: out.stdout, stderr: out.stderr, deadlineExceeded, outputLeftOpen, truncated})
      }
      child.on('error', (e) => {
        if (settled) return
        settled = true
        clearTimeout(deadline)
        unregister()
        reject(new ConnectError('unreachable', `${this.label}: cannot run /bin/sh on this machine: ${e.message}`))
      })
      child.on('exit', (code, signal) => {
        exited = {code, signal: signal ? signal.replace(/^SIG/, '') : undefined}
        // something the command started still holds its output: stop waiting for it after the grace period
        graceTimer = setTimeout(() => {
          outputLeftOpen = true
          child.stdout.destroy()
          child.stderr.destroy()
          finish()
        }, OUTPUT_GRACE_MS)
      })
      child.on('close', finish)
      child.stdin.on('error', () => undefined)
      if (opts.stdin !== undefined) child.stdin.end(opts.stdin)
      else child.stdin.end()
    })
  }
}
