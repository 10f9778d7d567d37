/** An ssh2 connection failure in words: which host, what went wrong (host key, login, timeout, unreachable). */
import {blobKeyType, fingerprint, type HostKeyVerdict} from './known-hosts.js'
import type {SshTarget} from './ssh-target.js'
import {ConnectError} from './types.js'

export function classify(e: Error & {level?: string; code?: string}, t: SshTarget, verdict: HostKeyVerdict | undefined, presented: Buffer | undefined, label: string): ConnectError {
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
