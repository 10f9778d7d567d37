/**
 * The forges' delivery checks, over the exact raw bytes and in constant time: GitHub's `X-Hub-Signature-256`
 * (HMAC-SHA256, hex), GitLab's `X-Gitlab-Token` (the plain secret) and GitLab's signing token in the Standard
 * Webhooks format (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256 of
 * "{id}.{timestamp}.{body}">`, timestamp within 5 minutes). Pure functions: no secret or signature value ever goes
 * into a reason.
 */
import {createHash, createHmac, timingSafeEqual} from 'node:crypto'

export type Check = {ok: true} | {ok: false; reason: string}

/** Standard Webhooks: how far a delivery's timestamp may be from now. */
export const TIMESTAMP_TOLERANCE_S = 5 * 60

/** Constant time whatever the lengths: both sides hashed first, so the comparison never leaks the secret's length. */
export function sameSecret(a: string | Buffer, b: string | Buffer): boolean {
  const ha = createHash('sha256').update(a).digest()
  const hb = createHash('sha256').update(b).digest()
  return timingSafeEqual(ha, hb)
}

export function githubSignature(secret: string, raw: Buffer): string {
  return 'sha256=' + createHmac('sha256', secret).update(raw).digest('hex')
}

export function verifyGithub(secret: string, raw: Buffer, header: string | string[] | undefined): Check {
  if (header === undefined || header === '') return {ok: false, reason: 'no X-Hub-Signature-256 header (is the webhook secret set on GitHub?)'}
  if (Array.isArray(header)) return {ok: false, reason: 'X-Hub-Signature-256 given more than once'}
  if (!header.startsWith('sha256=')) return {ok: false, reason: 'X-Hub-Signature-256 is not of the form sha256=<hex>'}
  return sameSecret(header, githubSignature(secret, raw)) ? {ok: true} : {ok: false, reason: 'X-Hub-Signature-256 does not match the body (wrong secret or altered body)'}
}

export function verifyGitlabToken(secret: string, header: string | string[] | undefined): Check {
  if (header === undefined || header === '') return {ok: false, reason: 'no X-Gitlab-Token header (is the secret token set on GitLab?)'}
  if (Array.isArray(header)) return {ok: false, reason: 'X-Gitlab-Token given more than once'}
  return sameSecret(header, secret) ? {ok: true} : {ok: false, reason: 'X-Gitlab-Token does not match'}
}

/** A Standard Webhooks secret: `whsec_<base64>` is the base64 of the key; anything else is the key's UTF-8 bytes. */
export function signingKey(secret: string): Buffer {
  return secret.startsWith('whsec_') ? Buffer.from(secret.slice(6), 'base64') : Buffer.from(secret, 'utf8')
}

export function standardSignature(secret: string, id: string, timestamp: string, raw: Buffer): string {
  return createHmac('sha256', signingKey(secret)).update(`${id}.${timestamp}.`).update(raw).digest('base64')
}

export interface SigningHeaders {
  id?: string | string[]
  timestamp?: string | string[]
  signature?: string | string[]
}

export function verifyStandardWebhook(secret: string, raw: Buffer, h: SigningHeaders, nowMs = Date.now()): Check {
  const one = (v: string | string[] | undefined) => (Array.isArray(v) ? undefined : v)
  const id = one(h.id)
  const timestamp = one(h.timestamp)
  const signature = one(h.signature)
  if (!id || !timestamp || !signature) return {ok: false, reason: 'no webhook-id, webhook-timestamp and webhook-signature headers (is a signing token set on GitLab?)'}
  if (id.length > 256) return {ok: false, reason: 'webhook-id is longer than 256 characters'}
  if (!/^\d{1,12}$/.test(timestamp)) return {ok: false, reason: 'webhook-timestamp is not a number of seconds'}
  const skew = Math.abs(nowMs / 1000 - Number(timestamp))
  if (skew > TIMESTAMP_TOLERANCE_S) return {ok: false, reason: `webhook-timestamp is ${Math.round(skew)} s away from now (at most ${TIMESTAMP_TOLERANCE_S} s)`}
  const want = standardSignature(secret, id, timestamp, raw)
  // several space-separated signatures (key rotation); only v1 (HMAC-SHA256) is known
  const candidates = signature.split(' ').slice(0, 16).filter((s) => s.startsWith('v1,')).map((s) => s.slice(3))
  if (!candidates.length) return {ok: false, reason: 'webhook-signature has no v1 signature'}
  let match = false
  for (const c of candidates) match = sameSecret(c, want) || match
  return match ? {ok: true} : {ok: false, reason: 'webhook-signature does not match the body (wrong signing token, altered body or timestamp)'}
}
