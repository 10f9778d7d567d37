/**
 * known_hosts verification, OpenSSH-compatible: plain and hashed (`|1|salt|hash`) host fields, `[host]:port`,
 * wildcards and negations, `@revoked`. `accept-new` appends keys of hosts never seen; appends are serialised in this
 * process and written as whole lines with O_APPEND, so 200 new hosts at once cannot interleave.
 */
import {createHash, createHmac} from 'node:crypto'
import {appendFile, mkdir, readFile} from 'node:fs/promises'
import path from 'node:path'

export interface KnownKey {
  type: string
  blob: Buffer
  revoked: boolean
  file: string
  line: number
}

interface Entry extends KnownKey {
  patterns: string[]
  /** compiled once: wildcard and negated patterns */
  globs?: Array<{re: RegExp; negated: boolean}>
  hashed?: {salt: Buffer; hash: Buffer}
}

export type HostKeyVerdict =
  | {status: 'match'}
  | {status: 'unknown'}
  | {status: 'changed'; expected: KnownKey[]}
  | {status: 'revoked'; entry: KnownKey}

export function fingerprint(blob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')
}

/** The key type written inside an SSH public key blob (string length-prefixed). */
export function blobKeyType(blob: Buffer): string {
  if (blob.length < 4) return 'unknown'
  const len = blob.readUInt32BE(0)
  return blob.subarray(4, 4 + len).toString('latin1')
}

export function hostField(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`
}

function globRegExp(pattern: string): RegExp {
  return new RegExp('^' + pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$', 'i')
}

const isPlain = (patterns: string[]) => patterns.every((p) => !/[*?!]/.test(p))

function parseLine(text: string, file: string, line: number): Entry | undefined {
  const t = text.trim()
  if (!t || t.startsWith('#')) return undefined
  const parts = t.split(/\s+/)
  let marker: string | undefined
  if (parts[0]?.startsWith('@')) marker = parts.shift()
  if (marker === '@cert-authority') return undefined // CA-signed host keys are not supported: such lines never match
  const [hosts, type, b64] = parts
  if (!hosts || !type || !b64) return undefined
  const blob = Buffer.from(b64, 'base64')
  const entry: Entry = {patterns: [], type, blob, revoked: marker === '@revoked', file, line}
  if (hosts.startsWith('|1|')) {
    const [, , salt, hash] = hosts.split('|')
    if (!salt || !hash) return undefined
    entry.hashed = {salt: Buffer.from(salt, 'base64'), hash: Buffer.from(hash, 'base64')}
  } else {
    entry.patterns = hosts.split(',')
    if (!isPlain(entry.patterns)) entry.globs = entry.patterns.map((p) => ({negated: p.startsWith('!'), re: globRegExp(p.replace(/^!/, ''))}))
  }
  return entry
}

function entryMatches(e: Entry, name: string): boolean {
  if (e.hashed) return createHmac('sha1', e.hashed.salt).update(name).digest().equals(e.hashed.hash)
  if (!e.globs) return e.patterns.some((p) => p.toLowerCase() === name.toLowerCase())
  let ok = false
  for (const g of e.globs) {
    if (g.negated) {
      if (g.re.test(name)) return false
    } else if (g.re.test(name)) ok = true
  }
  return ok
}

export class KnownHosts {
  private entries: Entry[] = []
  /** plain entries by lower-cased host field, for the common case of exact names */
  private byName = new Map<string, Entry[]>()
  /** hashed and pattern entries, tried one by one */
  private others: Entry[] = []

  private add(e: Entry): void {
    this.entries.push(e)
    if (e.hashed || e.globs) this.others.push(e)
    else for (const p of e.patterns) this.byName.set(p.toLowerCase(), [...(this.byName.get(p.toLowerCase()) ?? []), e])
  }

  private candidates(name: string): Entry[] {
    return [...(this.byName.get(name.toLowerCase()) ?? []), ...this.others.filter((e) => entryMatches(e, name))]
  }
  private writeQueue: Promise<void> = Promise.resolve()

  /** @param files the user's known_hosts files, read in order; `accept-new` writes to the first */
  constructor(readonly files: string[]) {}

  /**
   * Read the user's files, then the global ones (GlobalKnownHostsFile, read-only), as OpenSSH does: a key known in
   * any of them is known, and a different key presented for that host is a changed key.
   */
  static async load(files: string[], globalFiles: string[] = []): Promise<KnownHosts> {
    const kh = new KnownHosts(files)
    for (const file of [...files, ...globalFiles.filter((f) => !files.includes(f))]) {
      const text = await readFile(file, 'utf8').catch(() => '')
      text.split('\n').forEach((l, i) => {
        const e = parseLine(l, file, i + 1)
        if (e) kh.add(e)
      })
    }
    return kh
  }

  /** Key types known for a host, to ask the server for one of them first (as OpenSSH does). */
  knownTypes(host: string, port: number): string[] {
    return [...new Set(this.candidates(hostField(host, port)).filter((e) => !e.revoked).map((e) => e.type))]
  }

  verify(host: string, port: number, blob: Buffer): HostKeyVerdict {
    const matching = this.candidates(hostField(host, port))
    const revoked = this.entries.find((e) => e.revoked && e.blob.equals(blob))
    if (revoked) return {status: 'revoked', entry: revoked}
    const live = matching.filter((e) => !e.revoked)
    if (live.some((e) => e.blob.equals(blob))) return {status: 'match'}
    if (live.length === 0) return {status: 'unknown'}
    return {status: 'changed', expected: live}
  }

  /** Record a new host key in the first file. Serialised; resolves once written. */
  learn(host: string, port: number, blob: Buffer): Promise<string> {
    const file = this.files[0]
    if (!file) return Promise.reject(new Error('no known_hosts file to record new host keys in'))
    const type = blobKeyType(blob)
    const line = `${hostField(host, port)} ${type} ${blob.toString('base64')}\n`
    this.add({patterns: [hostField(host, port)], type, blob, revoked: false, file, line: -1})
    const write = this.writeQueue.then(async () => {
      await mkdir(path.dirname(file), {recursive: true})
      await appendFile(file, line, {mode: 0o600})
    })
    this.writeQueue = write.catch(() => {})
    return write.then(() => file)
  }
}
