/** ProxyCommand: run as OpenSSH runs it (`$SHELL -c "exec CMD"`) and carry SSH over its stdin/stdout. */
import {spawn} from 'node:child_process'
import {Duplex} from 'node:stream'

/** A duplex stream over the command's stdin/stdout; its stderr's tail is kept for the error when it exits early. */
export function proxyCommandStream(command: string, env: NodeJS.ProcessEnv = process.env): Duplex & {stderrTail: () => string} {
  const shell = env.SHELL || '/bin/sh'
  const child = spawn(shell, ['-c', `exec ${command}`], {stdio: ['pipe', 'pipe', 'pipe'], env})
  let tail = ''
  // end and errors wait until ssh2 reads: a command that fails at once must not fail before anyone listens
  let used = false
  let ended: {error?: Error} | undefined
  const finish = () => {
    d.push(null)
    // the next write fails with the command's own error (destroying here would only say "write after destroyed")
    if (ended?.error) setTimeout(() => d.destroy(ended!.error), 1000).unref()
  }
  // a write that fails (EPIPE: the command closed its stdin or exited) is reported with the command's own exit, once
  // it is known (bounded: a command that closed its stdin and lives on gets the write's error after 2 s)
  let closed = false
  const afterClose = (fn: () => void) => {
    if (closed) return fn()
    const t = setTimeout(fn, 2000)
    child.once('close', () => {
      clearTimeout(t)
      fn()
    })
  }
  child.stderr.on('data', (c: Buffer) => {
    tail = (tail + c.toString('utf8')).slice(-2000)
  })
  const d = new Duplex({
    write(chunk, _enc, cb) {
      if (ended) return cb(ended.error ?? new Error(`ProxyCommand \`${command}\` has exited`))
      child.stdin.write(chunk, (err) => (err ? afterClose(() => cb(ended?.error ?? err)) : cb()))
    },
    final(cb) {
      child.stdin.end(cb)
    },
    read() {
      used = true
      if (ended) finish()
      child.stdout.resume()
    },
    destroy(err, cb) {
      if (child.exitCode === null && child.signalCode === null) child.kill()
      cb(err)
    },
  }) as Duplex & {stderrTail: () => string}
  d.stderrTail = () => tail.trim()
  // the command may fail before ssh2 listens: its own error listener still receives the error, the process survives
  d.on('error', () => undefined)
  child.stdout.on('data', (c: Buffer) => {
    if (!d.push(c)) child.stdout.pause()
  })
  child.stdin.on('error', (e) => afterClose(() => d.destroy(ended?.error ?? e)))
  child.on('error', (e) => d.destroy(new Error(`ProxyCommand \`${command}\` could not start: ${e.message}`)))
  child.on('close', (code, signal) => {
    closed = true
    ended = {error: code !== 0 ? new Error(`ProxyCommand \`${command}\` exited with ${signal ?? code}${tail ? `: ${tail.trim()}` : ''}`) : undefined}
    if (used) finish()
  })
  return d
}
