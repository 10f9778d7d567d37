/**
 * The pre-signed URL of `distribution: pull` (moto does not check signatures, so its shape is checked here): SigV4
 * query keys, the expiry asked for, the object's path, no secret; and how it reaches curl (config on stdin).
 */
import assert from 'node:assert/strict'
import {test} from 'node:test'
import {presignGet, maskPresigned} from '../../src/revisions/presign.js'
import {curlConfig, currentPullUrl, pullReceiveLine, scrubPresigned} from '../../src/deploy/pull.js'
import {parseObjectUrl, parseStoreUrl, revisionKey, shaOfKey} from '../../src/revisions/url.js'

const SECRET = 'wJalrXUtnFEMI-not-a-real-secret'
process.env.AWS_ACCESS_KEY_ID = 'AKIDPRESIGNTEST'
process.env.AWS_SECRET_ACCESS_KEY = SECRET
process.env.AWS_EC2_METADATA_DISABLED = 'true'
const sha = 'a'.repeat(64)

test('a pre-signed GET URL carries SigV4 query keys with the asked expiry and never the secret', async () => {
  const u = new URL(await presignGet(`s3://my-bucket/revs/web/${sha}.tgz`, {region: 'eu-west-1', endpoint: 'http://127.0.0.1:9'}, 300))
  const q = u.searchParams
  assert.equal(u.pathname, `/my-bucket/revs/web/${sha}.tgz`)
  assert.equal(q.get('X-Amz-Algorithm'), 'AWS4-HMAC-SHA256')
  assert.match(q.get('X-Amz-Credential') ?? '', /^AKIDPRESIGNTEST\/\d{8}\/eu-west-1\/s3\/aws4_request$/)
  assert.match(q.get('X-Amz-Date') ?? '', /^\d{8}T\d{6}Z$/)
  assert.equal(q.get('X-Amz-Expires'), '300')
  assert.equal(q.get('X-Amz-SignedHeaders'), 'host')
  assert.match(q.get('X-Amz-Signature') ?? '', /^[0-9a-f]{64}$/)
  assert.ok(!u.href.includes(SECRET))
  // the default validity is 15 minutes; a week at most (SigV4's limit)
  assert.equal(new URL(await presignGet(`s3://my-bucket/k/${sha}.tgz`, {region: 'eu-west-1'})).searchParams.get('X-Amz-Expires'), '900')
  assert.equal(new URL(await presignGet(`s3://my-bucket/k/${sha}.tgz`, {region: 'eu-west-1'}, 30 * 24 * 3600)).searchParams.get('X-Amz-Expires'), String(7 * 24 * 3600))
  assert.equal(maskPresigned(u.href), `http://127.0.0.1:9/my-bucket/revs/web/${sha}.tgz?…`)
})

test('the URL reaches curl as a quoted config value on stdin, never on its command line', () => {
  assert.equal(curlConfig('http://h/b/k?X-Amz-Signature=ab"c\\d'), 'url = "http://h/b/k?X-Amz-Signature=ab\\"c\\\\d"\n')
  const line = pullReceiveLine(120)
  assert.match(line, /curl -fsS .*--max-time 120 .*-K -/)
  assert.doesNotMatch(line, /http/)
  const url = 'http://h/b/k.tgz?X-Amz-Credential=AK%2F1&X-Amz-Signature=abc123'
  assert.equal(scrubPresigned(`curl: (22) ${url} returned 403`, url), 'curl: (22) http://h/b/k.tgz?… returned 403')
  assert.equal(scrubPresigned('see http://other/x?X-Amz-Signature=deadbeef&y=1', url), 'see http://other/x?X-Amz-Signature=…&y=1')
})

test('store and object URLs, content-addressed keys', () => {
  assert.deepEqual(parseStoreUrl('s3://bucket-1/a/b/'), {bucket: 'bucket-1', prefix: 'a/b'})
  assert.deepEqual(parseStoreUrl('s3://bucket-1'), {bucket: 'bucket-1', prefix: ''})
  assert.equal(revisionKey({bucket: 'b', prefix: ''}, 'web', sha), `web/${sha}.tgz`)
  assert.equal(revisionKey({bucket: 'b', prefix: 'p'}, 'web', sha), `p/web/${sha}.tgz`)
  assert.equal(shaOfKey(`p/web/${sha}.tgz`), sha)
  assert.equal(shaOfKey('p/web/x.tgz'), undefined)
  assert.throws(() => parseObjectUrl('s3://b/'), /expected s3:\/\/bucket\/key/)
  assert.throws(() => parseStoreUrl('s3://B_ad/x'), /valid bucket name/)
  assert.throws(() => revisionKey({bucket: 'b', prefix: ''}, '../x', sha), /cannot be part of a store key/)
})

test('a pull deploy signs the URL again (once for concurrent hosts) before what is left of it cannot cover a download', async () => {
  const t0 = 1_000_000_000
  let n = 0
  const resign = async () => ({url: `u${++n + 1}`, expiresAt: t0 + 2 * 900_000})
  const p = {url: 'u1', timeoutSec: 120, validSec: 900, expiresAt: t0 + 900_000, resign}
  assert.equal(await currentPullUrl(p, t0 + 600_000), 'u1', '300 s left: enough for a 120 s download and a minute')
  assert.equal(n, 0)
  const got = await Promise.all([1, 2, 3].map(() => currentPullUrl(p, t0 + 800_000)))
  assert.deepEqual(got, ['u2', 'u2', 'u2'], '100 s left: signed again, once for the three hosts')
  assert.equal(n, 1)
  assert.equal(p.expiresAt, t0 + 1_800_000)
  // a validity shorter than a download and a minute: signed again when half of it is gone, not for every host
  let m = 0
  const short = {url: 's1', timeoutSec: 60, validSec: 60, expiresAt: t0 + 60_000, resign: async () => ({url: `s${++m + 1}`, expiresAt: t0 + 100_000})}
  assert.equal(await currentPullUrl(short, t0 + 10_000), 's1')
  assert.equal(await currentPullUrl(short, t0 + 35_000), 's2')
  assert.equal(await currentPullUrl(short, t0 + 36_000), 's2')
  assert.equal(m, 1)
})
