/**
 * The SSH transport: one pooled connection per host (node-ssh over ssh2) reused for every command of a run, a bound
 * on simultaneous handshakes, ProxyJump chains, keep-alives, and host keys verified against known_hosts.
 */
import {readFile} from 'node:fs/promises'
import type {Duplex} from 'node:stream'
import {StringDecoder} from 'node:string_decoder'
import {NodeSSH} from 'node-ssh'
import type {Client, ClientChannel} from 'ssh2'
import type {Host} from '../inventory/host.js'
import {Semaphore} from '../util/semaphore.js'
import {blobKeyType, fingerprint, KnownHosts, type HostKeyVerdict} from './known-hosts.js'
import {SshConfigFile} from './ssh-config.js'
import {parseProxyJump, resolveTarget, type SshTarget, type TargetDefaults} from './ssh-target.js'
import {registerLive} from './live.js'
import {proxyCommandStream} from './proxy-command.js'
import {buildKillSessionsCommand} from './remote-command.js'
import {ConnectError, type Connection, type ExecOptions, type ExecResult, type Transport} from './types.js'

export interface SshTransportOptions extends TargetDefaults {
  sshConfig?: SshConfigFile
  maxHandshakes?: number
  /** called when accept-new records a key */
  onHostKeyLearned?: (host: string, fingerprint: string, file: string) => void
}

const RSA_ALGOS = ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']
/** How long to wait for the channel to close after the command exited, before closing it ourselves. */
const OUTPUT_GRACE_MS = 2000

export class SshTransport implements Transport {
  private readonly pool = new Map<string, Promise<SshConnection>>()
  private readonly knownHosts = new Map<string, Promise<KnownHosts>>()
  private readonly handshakes: Semaphore
  private readonly config: SshConfigFile
  private readonly clients: NodeSSH[] = []
  /** private keys by path, read once per run rather than once per host */
  private readonly keys = new Map<string, Promise<string | undefined>>()

  constructor(private readonly opts: SshTransportOptions) {
    this.handshakes = new Semaphore(opts.maxHandshakes ?? 64)
    this.config = opts.sshConfig ?? SshConfigFile.empty()
  }

  target(host: Host): SshTarget {
    return resolveTarget(host, this.config, this.opts)
  }

  connect(host: Host): Promise<Connection> {
    const t = this.target(host)
    return this.open(t, host.name)
  }

  private open(t: SshTarget, label: string, via?: SshConnection): Promise<SshConnection> {
    const key = `${t.user}@${t.address}:${t.port}${t.proxyCommand ? ` via ${t.proxyCommand}` : ''}`
    let p = this.pool.get(key)
    if (!p) {
      const dialled = (p = this.dial(t, label, via))
      this.pool.set(key, p)
      // a connection the host closed is never handed out again: the next connect() dials anew
      const forget = () => this.pool.get(key) === dialled && this.pool.delete(key)
      p.then((c) => c.client.once('close', forget), forget)
    }
    return p
  }

  private known(files: string[], globalFiles: string[]): Promise<KnownHosts> {
    const k = files.join('\0') + '\0\0' + globalFiles.join('\0')
    let p = this.knownHosts.get(k)
    if (!p) {
      p = KnownHosts.load(files, globalFiles)
      this.knownHosts.set(k, p)
    }
    return p
  }

  private async dial(t: SshTarget, label: string, via?: SshConnection): Promise<SshConnection> {
    let sock: Duplex | undefined
    if (!via && t.proxyJump) {
      // -J a,b: a is reached as configured (its own ProxyJump included), b through a, the target through b
      for (const [i, hop] of parseProxyJump(t.proxyJump).entries()) {
        const ht = resolveTarget({name: hop.alias, address: hop.alias, port: hop.port, user: hop.user, group: '', groups: [], labels: {}, vars: {}}, this.config, {...this.opts, user: undefined})
        if (i > 0) ht.proxyJump = undefined
        via = await this.open(ht, hop.alias, via)
      }
    }
    if (via) sock = await via.forward(t.address, t.port, label)
    else if (t.proxyCommand) sock = proxyCommandStream(t.proxyCommand, this.opts.env ?? process.env)

    const kh = await this.known(t.knownHostsFiles, t.globalKnownHostsFiles)
    const knownTypes = kh.knownTypes(t.address, t.port).flatMap((ty) => (ty === 'ssh-rsa' ? RSA_ALGOS : [ty]))
    // every readable IdentityFile, tried in order as OpenSSH does
    const keys: string[] = []
    for (const f of t.identityFiles) {
      if (!this.keys.has(f)) this.keys.set(f, readFile(f, 'utf8').catch(() => undefined))
      const k = await this.keys.get(f)
      if (k) keys.push(k)
    }
    const privateKey = keys[0]
    if (!privateKey && !t.agent) {
      throw new ConnectError('config', t.identityFiles.length ? `cannot read any identity file (${t.identityFiles.join(', ')}) and no ssh-agent (SSH_AUTH_SOCK) is available` : 'no identity file configured and no ssh-agent (SSH_AUTH_SOCK) is available')
    }
    const passphrase = t.passphraseEnv ? (this.opts.env ?? process.env)[t.passphraseEnv] : undefined

    let verdict: HostKeyVerdict | undefined
    let presented: Buffer | undefined
    let learning: Promise<unknown> = Promise.resolve()
    const hostVerifier = (keyBlob: Buffer, verify: (ok: boolean) => void) => {
      presented = keyBlob
      verdict = kh.verify(t.address, t.port, keyBlob)
      if (verdict.status === 'match') return verify(true)
      if (verdict.status === 'unknown' && t.hostKeyChecking === 'accept-new') {
        learning = kh.learn(t.address, t.port, keyBlob).then((file) => this.opts.onHostKeyLearned?.(label, fingerprint(keyBlob), file))
        learning.then(() => verify(true), () => verify(false))
        return
      }
      verify(false)
    }

    const ssh = new NodeSSH()
    const release = await this.handshakes.acquire()
    try {
      await ssh.connect({
        host: sock ? undefined : t.address,
        port: t.port,
        sock: sock as never,
        username: t.user,
        privateKey,
        passphrase,
        agent: t.agent,
        authHandler: keys.length > 1 ? ([...keys.map((key) => ({type: 'publickey', username: t.user, key, passphrase})), ...(t.agent ? ['agent'] : [])] as never) : undefined,
        readyTimeout: t.connectTimeoutMs,
        keepaliveInterval: t.keepaliveMs,
        keepaliveCountMax: 3,
        hostVerifier: hostVerifier as never,
        algorithms: knownTypes.length ? {serverHostKey: {prepend: knownTypes}} as never : undefined,
      })
    } catch (e) {
      ssh.dispose()
      throw classify(e as Error & {level?: string; code?: string}, t, verdict, presented, label)
    } finally {
      release()
    }
    await learning
    this.clients.push(ssh)
    const client = ssh.connection!
    // node-ssh stops listening for errors once connected; a later reset must not crash the process
    client.on('error', () => {})
    const conn = new SshConnection(client, label, t.connectTimeoutMs)
    const unregister = registerLive({stop: () => conn.killRemote().finally(() => ssh.dispose())})
    client.once('close', unregister)
    return conn
  }

  async close(): Promise<void> {
    for (const c of this.clients.reverse()) c.dispose()
    this.clients.length = 0
    this.pool.clear()
  }
}

function classify(e: Error & {level?: string; code?: string}, t: SshTarget, verdict: HostKeyVerdict | undefined, presented: Buffer | undefined, label: string): ConnectError {
  const where = label && label !== t.address ? `${label} (${t.user}@${t.address}:${t.port})` : `${t.user}@${t.address}:${t.port}`
  if (verdict && verdict.status !== 'match' && presented) {
    const got = fingerprint(presented)
    if (verdict.status === 'changed') {
      const expected = verdict.expected.map((k) => `${k.type} ${fingerprint(k.blob)} (${k.file}:${k.line})`)
      return new ConnectError('hostkey', `HOST KEY CHANGED for ${t.address}:${t.port}: it presented ${blobKeyType(presented)} ${got}, but known_hosts has ${expected.join(', ')}. Refusing to connect: this may be a man-in-the-middle attack. If the host was really reinstalled, remove its old entry (ssh-keygen -R) and connect again.`, {presented: got, expected})
    }
    if (verdict.status === 'revoked') return new ConnectError('hostkey', `host key ${got} of ${t.address}:${t.port} is marked @revoked in ${verdict.entry.file}:${verdict.entry.line}`, {presented: got})
    return new ConnectError('hostkey', `unknown host key for ${t.address}:${t.port} (${blobKeyType(presented)} ${got}) in ${[...t.knownHostsFiles, ...t.globalKnownHostsFiles].join(', ')}; verify it, then add it (ssh-keyscan) or run with --host-key-checking accept-new`, {presented: got})
  }
  const msg = e.message ?? String(e)
  if (e.level === 'client-authentication' || /authentication methods failed/i.test(msg)) return new ConnectError('auth', `authentication failed for ${where} (tried ${t.identityFiles.length ? 'key ' + t.identityFiles.join(', ') : 'no key'}${t.agent ? ' and ssh-agent' : ''})`)
  if (/timed out|ETIMEDOUT|No response/i.test(msg + (e.code ?? ''))) return new ConnectError('timeout', `connection to ${where} timed out after ${t.connectTimeoutMs / 1000}s waiting for the SSH handshake (banner, key exchange and login)`)
  if (/passphrase|Encrypted private key|Cannot parse privateKey/i.test(msg)) return new ConnectError('config', `cannot use private key for ${where}: ${msg}${t.passphraseEnv ? '' : ' (set ssh.passphraseEnv for an encrypted key)'}`)
  return new ConnectError('unreachable', `cannot connect to ${where}: ${msg}`)
}

/** How long killing a connection's remote commands may take before the connection is closed anyway. */
const KILL_DEADLINE_MS = 1500

class SshConnection implements Connection {
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
    const max = opts.maxBuffer ?? 1024 * 1024
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
        const out = {stdout: '', stderr: ''}
        let truncated = false
        let exitCode: number | null = null
        let signal: string | undefined
        let deadlineExceeded = false
        let outputLeftOpen = false
        let graceTimer: NodeJS.Timeout | undefined
        // one decoder per stream: a multi-byte character split over two chunks is decoded whole
        const decoders = {stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8')}
        const take = (which: 'stdout' | 'stderr', s: string) => {
          if (!s) return
          opts.onOutput?.(which, s)
          if (out[which].length < max) out[which] += s.slice(0, max - out[which].length)
          else truncated = true
        }
        const collect = (which: 'stdout' | 'stderr') => (chunk: Buffer) => take(which, decoders[which].write(chunk))
        stream.on('data', collect('stdout'))
        stream.stderr.on('data', collect('stderr'))
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
          for (const which of ['stdout', 'stderr'] as const) take(which, decoders[which].end())
          // ssh2 closes the channels before it emits the client's 'close': look once more after this turn
          setImmediate(() => {
            this.client.off('close', onLost)
            const lost = connectionLost || exitCode === null && signal === undefined && !deadlineExceeded && !outputLeftOpen && !opts.signal?.aborted
            resolve({exitCode, signal, stdout: out.stdout, stderr: out.stderr, deadlineExceeded, outputLeftOpen, truncated, ...(lost ? {connectionLost: true} : {})})
          })
        })
        if (opts.stdin !== undefined) stream.end(opts.stdin)
        else stream.end()
      })
    })
  }
}
