/**
 * The API's bearer tokens: each with a role (`read`: GET only; `operate`: may start jobs), from `DOPS_TOKENS`
 * (`TOKEN:ROLE,TOKEN:ROLE`) and a tokens file (`TOKEN ROLE [NAME]` a line, `#` comments). Only their SHA-256 digests
 * are kept, and a presented token is compared with every one in constant time. A token's name (for a job's trigger
 * and the server log) is the one the file gives, else `token-` and the first 6 hex digits of its digest.
 */
import {createHash, randomBytes, timingSafeEqual} from 'node:crypto'
import {open} from 'node:fs/promises'
import {InvalidInputError, type Problem} from '../errors.js'
import {readRegularFile} from '../util/read-regular.js'

export type Role = 'read' | 'operate'
export const ROLES: readonly Role[] = ['read', 'operate']
/** shorter tokens are refused: a guessable token is no protection */
export const MIN_TOKEN_LENGTH = 16
const MAX_TOKENS_FILE = 1024 * 1024

export interface TokenEntry {
  digest: Buffer
  role: Role
  name: string
}

export interface TokenSet {
  entries: TokenEntry[]
}

const digestOf = (token: string) => createHash('sha256').update(token, 'utf8').digest()
const nameOf = (digest: Buffer) => `token-${digest.toString('hex').slice(0, 6)}`

/** The name a token goes by when its line gives none: `token-` and the first 6 hex digits of its SHA-256. */
export function tokenName(token: string): string {
  return nameOf(digestOf(token))
}

function entry(token: string, role: string, name: string | undefined, where: Omit<Problem, 'message'>, problems: Problem[]): TokenEntry | undefined {
  if (!ROLES.includes(role as Role)) {
    problems.push({...where, message: `role \`${role}\`: expected read or operate`})
    return undefined
  }
  if (token.length < MIN_TOKEN_LENGTH) {
    problems.push({...where, message: `the token is shorter than ${MIN_TOKEN_LENGTH} characters (make one with \`dops serve token new\`)`})
    return undefined
  }
  if (!/^[\x21-\x7e]+$/.test(token)) {
    problems.push({...where, message: 'the token must be printable ASCII without spaces'})
    return undefined
  }
  const digest = digestOf(token)
  return {digest, role: role as Role, name: name ?? nameOf(digest)}
}

/** `DOPS_TOKENS`: `TOKEN:ROLE` items, comma-separated. Problems name the item by its position, never its token. */
export function parseTokensEnv(value: string): TokenSet {
  const problems: Problem[] = []
  const entries: TokenEntry[] = []
  value.split(',').forEach((item, i) => {
    const text = item.trim()
    if (!text) return
    const at = text.lastIndexOf(':')
    const where = {file: 'DOPS_TOKENS', path: `item ${i + 1}`}
    if (at <= 0) problems.push({...where, message: 'expected TOKEN:ROLE (role read or operate)'})
    else {
      const e = entry(text.slice(0, at), text.slice(at + 1), undefined, where, problems)
      if (e) entries.push(e)
    }
  })
  if (problems.length) throw new InvalidInputError('DOPS_TOKENS is not valid', problems)
  return {entries}
}

/** A tokens file: `TOKEN ROLE [NAME]` a line; blank lines and `#` comments are skipped. */
export function parseTokensFile(file: string, text: string): TokenSet {
  const problems: Problem[] = []
  const entries: TokenEntry[] = []
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '')
    const trimmed = line.trim()
    if (!trimmed || trimmed.startsWith('#')) return
    const fields = trimmed.split(/\s+/)
    const where = {file, line: i + 1, column: line.indexOf(fields[0]!) + 1}
    if (fields.length < 2 || fields.length > 3) problems.push({...where, message: 'expected `TOKEN ROLE` or `TOKEN ROLE NAME` (role read or operate)'})
    else if (fields[2] !== undefined && !/^[\w.@-]{1,64}$/.test(fields[2])) problems.push({...where, column: line.lastIndexOf(fields[2]) + 1, message: 'the name: expected 1-64 letters, digits, `.`, `_`, `@` or `-`'})
    else {
      const e = entry(fields[0]!, fields[1]!, fields[2], where, problems)
      if (e) entries.push(e)
    }
  })
  if (problems.length) throw new InvalidInputError(`the tokens file ${file} is not valid`, problems)
  return {entries}
}

export function readTokensFile(file: string): TokenSet {
  let text: string
  try {
    text = readRegularFile(file, MAX_TOKENS_FILE)
  } catch (e) {
    throw new InvalidInputError(`cannot read the tokens file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`)
  }
  return parseTokensFile(file, text)
}

/** The tokens of the environment and the file together. */
export function loadTokens(p: {env?: string; file?: string}): TokenSet {
  const entries = [...(p.env ? parseTokensEnv(p.env).entries : []), ...(p.file ? readTokensFile(p.file).entries : [])]
  return {entries}
}

/** The entry of a presented token: every digest is compared (constant time each), none skipped on a match. */
export function findToken(set: TokenSet, token: string): TokenEntry | undefined {
  const d = digestOf(token)
  let found: TokenEntry | undefined
  for (const e of set.entries) if (timingSafeEqual(e.digest, d) && !found) found = e
  return found
}

/** A new token: 32 random bytes, base64url (43 characters). */
export function newToken(): string {
  return randomBytes(32).toString('base64url')
}

/** Append `TOKEN ROLE` to a tokens file, made with mode 0600 when new; the file must stay private. */
export async function appendToken(file: string, token: string, role: Role): Promise<void> {
  const fh = await open(file, 'a+', 0o600).catch((e: NodeJS.ErrnoException) => {
    throw new InvalidInputError(`cannot write the tokens file ${file}: ${e.code ?? e.message}`)
  })
  try {
    const {size} = await fh.stat()
    const last = Buffer.alloc(1)
    if (size > 0) await fh.read(last, 0, 1, size - 1)
    await fh.chmod(0o600)
    await fh.appendFile(`${size > 0 && last[0] !== 0x0a ? '\n' : ''}${token} ${role}\n`)
  } finally {
    await fh.close()
  }
}
