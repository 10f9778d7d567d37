/**
 * A host that is this machine (`ansible_connection=local`): each command runs as `sh -c COMMAND` here, in its own
 * process group, with the same contract as a command over SSH (stdin, client-side deadline, abort, streamed output,
 * bounded buffers, output held open by a leftover process, exit code or signal). A deadline or an abort kills the
 * whole group; so does the second Ctrl-C (live.ts).
 */
import {spawn} from 'node:child_process'
import {registerLive} from './live.js'
import {OutputCollector} from './output.js'
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
    return new Promise((resolve, reject) => {
      const child = spawn('/bin/sh', ['-c', command], {detached: true, stdio: ['pipe', 'pipe', 'pipe']})
      const output = new OutputCollector(opts)
      let deadlineExceeded = false
      let outputLeftOpen = false
      let exited: {code: number | null; signal?: string} | undefined
      let graceTimer: NodeJS.Timeout | undefined
      child.stdout.on('data', output.collect('stdout'))
      child.stderr.on('data', output.collect('stderr'))
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
        output.end()
        const {stdout, stderr} = output.out
        resolve({exitCode: exited?.code ?? null, signal: exited?.signal, stdout, stderr, deadlineExceeded, outputLeftOpen, truncated: output.truncated})
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
