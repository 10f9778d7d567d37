/**
 * The webhook checks as pure functions: GitHub's documented test vector, GitLab's plain token, and the Standard
 * Webhooks signature (GitLab signing tokens) computed here with node:crypto independently of the code under test,
 * then a tampered body, id and timestamp, a stale timestamp, several signatures, `whsec_` secrets.
 */
import assert from 'node:assert/strict'
import {createHmac, randomBytes} from 'node:crypto'
import {test} from 'node:test'
import {verifyGithub, verifyGitlabToken, verifyStandardWebhook} from '../../src/serve/hooks/signatures.js'

test("GitHub's test vector: secret `It's a Secret to Everybody`, payload `Hello, World!`", () => {
  const secret = "It's a Secret to Everybody"
  const sig = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17'
  assert.deepEqual(verifyGithub(secret, Buffer.from('Hello, World!'), sig), {ok: true})
  const bad = verifyGithub(secret, Buffer.from('Hello, World?'), sig)
  assert.equal(bad.ok, false)
  assert.equal(verifyGithub('another secret', Buffer.from('Hello, World!'), sig).ok, false)
  assert.equal(verifyGithub(secret, Buffer.from('Hello, World!'), sig.toUpperCase()).ok, false, 'the hex is compared exactly')
  assert.equal(verifyGithub(secret, Buffer.from('Hello, World!'), sig.slice(0, -1)).ok, false)
  assert.equal(verifyGithub(secret, Buffer.from('Hello, World!'), undefined).ok, false)
  assert.equal(verifyGithub(secret, Buffer.from('Hello, World!'), [sig, sig]).ok, false)
  const sha1 = verifyGithub(secret, Buffer.from('Hello, World!'), 'sha1=01dc10d0c83e72ed246219cdd91669667fe2ca59')
  assert.equal(sha1.ok, false)
  for (const r of [bad, sha1]) assert.ok(!r.ok && !r.reason.includes(secret) && !r.reason.includes('757107'), 'the reason names neither the secret nor the signature')
})

test('GitLab X-Gitlab-Token: the plain secret, nothing else', () => {
  assert.deepEqual(verifyGitlabToken('s3cret-token', 's3cret-token'), {ok: true})
  for (const h of ['s3cret-toke', 's3cret-token ', 'S3CRET-TOKEN', '', undefined]) assert.equal(verifyGitlabToken('s3cret-token', h).ok, false, String(h))
})

/** Standard Webhooks, written from the spec: base64(HMAC-SHA256(key, `${id}.${timestamp}.${body}`)). */
function sign(key: Buffer, id: string, ts: number, body: string): string {
  return 'v1,' + createHmac('sha256', key).update(`${id}.${ts}.${body}`).digest('base64')
}

test('GitLab signing token (Standard Webhooks): right, tampered, stale, rotated, whsec_ keys', () => {
  const key = randomBytes(24)
  const secret = 'whsec_' + key.toString('base64')
  const body = JSON.stringify({object_kind: 'push', ref: 'refs/heads/main'})
  const now = Date.now()
  const ts = Math.floor(now / 1000)
  const id = 'msg_2b8b4c2e'
  const good = {id, timestamp: String(ts), signature: sign(key, id, ts, body)}
  assert.deepEqual(verifyStandardWebhook(secret, Buffer.from(body), good, now), {ok: true})
  // tampered: body, id, timestamp (within the window, so only the signature catches it)
  assert.equal(verifyStandardWebhook(secret, Buffer.from(body.replace('main', 'evil')), good, now).ok, false)
  assert.equal(verifyStandardWebhook(secret, Buffer.from(body), {...good, id: 'msg_other'}, now).ok, false)
  assert.equal(verifyStandardWebhook(secret, Buffer.from(body), {...good, timestamp: String(ts - 1)}, now).ok, false)
  // correctly signed but too old or too far ahead: refused for the time alone
  for (const skew of [-301, 301]) {
    const t2 = ts + skew
    const r = verifyStandardWebhook(secret, Buffer.from(body), {id, timestamp: String(t2), signature: sign(key, id, t2, body)}, now)
    assert.ok(!r.ok && /webhook-timestamp/.test(r.reason), JSON.stringify(r))
  }
  const t3 = ts - 290
  assert.deepEqual(verifyStandardWebhook(secret, Buffer.from(body), {id, timestamp: String(t3), signature: sign(key, id, t3, body)}, now), {ok: true}, 'within 5 minutes')
  // several signatures (key rotation): one right one is enough; an unknown version is not
  assert.deepEqual(verifyStandardWebhook(secret, Buffer.from(body), {...good, signature: `v1,AAAA ${good.signature}`}, now), {ok: true})
  assert.equal(verifyStandardWebhook(secret, Buffer.from(body), {...good, signature: good.signature.replace('v1,', 'v2,')}, now).ok, false)
  // the key is the base64 under whsec_, not the text: the text as key does not verify
  assert.equal(verifyStandardWebhook(secret, Buffer.from(body), {...good, signature: sign(Buffer.from(secret), id, ts, body)}, now).ok, false)
  // a plain secret (no whsec_) is used as its UTF-8 bytes
  assert.deepEqual(verifyStandardWebhook('plain-secret', Buffer.from(body), {...good, signature: sign(Buffer.from('plain-secret'), id, ts, body)}, now), {ok: true})
  // missing headers, a non-numeric timestamp
  assert.equal(verifyStandardWebhook(secret, Buffer.from(body), {...good, signature: undefined}, now).ok, false)
  assert.equal(verifyStandardWebhook(secret, Buffer.from(body), {...good, timestamp: `${ts}.5`}, now).ok, false)
})
