/**
 * The SSH transport: one pooled connection per host (node-ssh over ssh2) reused for every command of a run, a bound
 * on simultaneous handshakes, ProxyJump chains, keep-alives, and host keys verified against known_hosts. A host whose
 * connection is `local` (ansible_connection=local) gets a LocalConnection instead: its commands run on this machine.
 */
import {readFile} from 'node:fs/promises'
import type {Duplex} from 'node:stream'
import {NodeSSH} from 'node-ssh'
import type {Host} from '../inventory/host.js'
import {Semaphore} from '../util/semaphore.js'
import {fingerprint, KnownHosts, type HostKeyVerdict} from './known-hosts.js'
import {SshConfigFile} from './ssh-config.js'
import {configAt, parseProxyJump, resolveTarget, type SshTarget, type TargetDefaults} from './ssh-target.js'
import {registerLive} from './live.js'
import {proxyCommandStream} from './proxy-command.js'
import {LocalConnection} from './local-connection.js'
import {classify} from './ssh-classify.js'
import {SshConnection} from './ssh-connection.js'
import {ConnectError, type Connection, type Transport} from './types.js'

export interface SshTransportOptions extends TargetDefaults {
  sshConfig?: SshConfigFile
  maxHandshakes?: number
  /** called when accept-new records a key */
  onHostKeyLearned?: (host: string, fingerprint: string, file: string) => void
}

const RSA_ALGOS = ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']

/**
 * Which pooled connection a target may share: one to the same user, address and port, reached the same way (the
 * same ProxyCommand, the same jump hosts, or through the same hop connection). Two hosts behind different bastions
 * with the same private address are two machines: they never share. The keys offered and the known_hosts files
 * matter only to make a connection: an authenticated one to the same user@host:port is reused, as OpenSSH's
 * ControlMaster reuses one (a jump host reached before as a target is the same session).
 */
export function poolKey(t: SshTarget, viaKey?: string): string {
  return JSON.stringify([t.user, t.address, t.port, t.proxyCommand ?? '', viaKey ?? t.proxyJump ?? '', t.configFile ?? ''])
}

export class SshTransport implements Transport {
  private readonly pool = new Map<string, Promise<SshConnection>>()
  /** the pool key each open connection was dialled for: a hop's key is part of the keys of what is reached through it */
  private readonly poolKeys = new WeakMap<SshConnection, string>()
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
    // ansible_connection=local: the host is this machine, commands run here without SSH
    if (host.connection === 'local') return Promise.resolve(new LocalConnection(host.name))
    let t: SshTarget
    try {
      t = this.target(host)
    } catch (e) {
      // a token or a file of its settings that cannot be resolved: this host cannot be reached as configured
      return Promise.reject(e instanceof ConnectError ? e : new ConnectError('config', `${host.name}: ${(e as Error).message}`))
    }
    return this.open(t, host.name)
  }

  private open(t: SshTarget, label: string, via?: SshConnection): Promise<SshConnection> {
    const key = poolKey(t, via && this.poolKeys.get(via))
    let p = this.pool.get(key)
    if (!p) {
      const dialled = (p = this.dial(t, label, via))
      this.pool.set(key, p)
      void dialled.then((c) => this.poolKeys.set(c, key), () => undefined)
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
        const config = t.configFile ? configAt(t.configFile, this.opts.env ?? process.env) : this.config
        const ht = resolveTarget({name: hop.alias, address: hop.alias, port: hop.port, user: hop.user, group: '', groups: [], labels: {}, vars: {}}, config, {...this.opts, user: undefined, identityFile: undefined})
        if (t.configFile) ht.configFile = t.configFile
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
