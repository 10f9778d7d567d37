/**
 * The central revision store on moto: `bundle push` (upload once, skip when present, multipart for large ones),
 * `revisions list`, and deploying a stored revision (`--revision s3://…`, `apps.NAME.source: s3://…`) with the
 * history recording where it came from. Oracles: HeadObject/ListObjectsV2 on moto, the hosts' files, the records.
 */
import assert from 'node:assert/strict'
import {createHash, randomBytes} from 'node:crypto'
import {chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync} from 'node:fs'
import type {ChildProcess} from 'node:child_process'
import os from 'node:os'
import path from 'node:path'
import {after, before, test} from 'node:test'
import {dops, json} from '../helpers.js'
import {startFleet, type Fleet} from '../fleet/fleet.js'
import {AWS_TEST_ENV, haveMoto, motoAt, startMoto, TEST_CREDS} from '../env/moto.js'
import type {DeployReport} from '../../src/deploy/deploy-job.js'
import type {BundlePushReport} from '../../src/revisions/jobs.js'
import type {RevisionList} from '../../src/revisions/list.js'

const {port, endpoint} = motoAt(11000)
const BUCKET = 'dops-revs-test'
const skip = haveMoto ? false : 'moto_server is not installed'
let moto: ChildProcess | undefined
let fleet: Fleet
let project: string
const env = {...AWS_TEST_ENV}

async function s3() {
  const m = await import('@aws-sdk/client-s3')
  return {m, c: new m.S3Client({region: 'us-east-1', endpoint, credentials: TEST_CREDS, forcePathStyle: true})}
}
const head = async (key: string) => {
  const {m, c} = await s3()
  return c.send(new m.HeadObjectCommand({Bucket: BUCKET, Key: key}))
}
const keys = async (prefix: string) => {
  const {m, c} = await s3()
  return ((await c.send(new m.ListObjectsV2Command({Bucket: BUCKET, Prefix: prefix}))).Contents ?? []).map((o) => o.Key!)
}

function writePlan(webSource = './web'): void {
  writeFileSync(
    path.join(project, 'dops.yml'),
    `version: 1
project: revs
ssh:
  config: ${fleet.sshConfig}
revisions:
  store: s3://${BUCKET}/team/revs
  endpoint: ${endpoint}
apps:
  web:
    source: ${webSource}
  big:
    source: ./big
environments:
  prod:
    groups:
      web:
        hosts: [${fleet.hosts.map((h) => h.name).join(', ')}]
        apps: [web]
`,
  )
}

function makeApp(dir: string, text: string, big?: Buffer, start = 'true'): void {
  const d = path.join(project, dir)
  mkdirSync(path.join(d, 'site'), {recursive: true})
  mkdirSync(path.join(d, 'scripts'), {recursive: true})
  writeFileSync(path.join(d, 'site', 'index.html'), `${text}\n`)
  if (big) writeFileSync(path.join(d, 'site', 'blob.bin'), big)
  writeFileSync(path.join(d, 'scripts', 'start.sh'), `#!/bin/sh\n${start}\n`)
  chmodSync(path.join(d, 'scripts', 'start.sh'), 0o755)
  writeFileSync(path.join(d, 'appspec.yml'), `version: 0.0\nos: linux\nfiles:\n  - source: site\n    destination: /var/www/${dir}\nhooks:\n  ApplicationStart:\n    - location: scripts/start.sh\n      timeout: 30\n`)
}

const run = (args: string[]) => dops(args, {cwd: project, env})
const page = (i: number, dir = 'web') => readFileSync(path.join(fleet.hosts[i]!.fsDir, `var/www/${dir}/index.html`), 'utf8').trim()

before(async () => {
  if (skip) return
  moto = await startMoto(port)
  const {m, c} = await s3()
  await c.send(new m.CreateBucketCommand({Bucket: BUCKET}))
  fleet = await startFleet({count: 2, prefix: 'rv'})
  project = mkdtempSync(path.join(os.tmpdir(), 'dops-revisions-'))
  makeApp('web', '<h1>stored v1</h1>')
  makeApp('big', 'big', randomBytes(20 * 1024 * 1024))
  writePlan()
})
after(async () => {
  await fleet?.stop()
  moto?.kill('SIGKILL')
  if (project) rmSync(project, {recursive: true, force: true})
})

let pushed: BundlePushReport

test('bundle push uploads the revision once, content-addressed, with its metadata', {skip}, async () => {
  const r = await run(['bundle', 'push', 'web', '--json'])
  assert.equal(r.code, 0, r.stderr)
  pushed = json<BundlePushReport>(r)
  assert.equal(pushed.skipped, false)
  assert.equal(pushed.method, 'put')
  const bundle = readFileSync(path.join(project, '.dops', 'bundles', `${pushed.revision}.tgz`))
  const sha = createHash('sha256').update(bundle).digest('hex')
  assert.equal(pushed.key, `team/revs/web/${sha}.tgz`)
  assert.equal(pushed.url, `s3://${BUCKET}/team/revs/web/${sha}.tgz`)
  const h = await head(pushed.key)
  assert.equal(h.ContentLength, bundle.length)
  assert.equal(h.Metadata?.app, 'web')
  assert.equal(h.Metadata?.sha256, sha)
  assert.equal(h.Metadata?.revision, pushed.revision)
  assert.match(h.Metadata?.['created-by'] ?? '', /@/)
  assert.ok(Math.abs(Date.parse(h.Metadata?.['created-at'] ?? '') - Date.now()) < 600_000)
})

test('a second push finds the object (HeadObject) and uploads nothing', {skip}, async () => {
  const before = await head(pushed.key)
  const r = await run(['bundle', 'push', 'web'])
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stderr, /already in the store.*nothing uploaded/)
  assert.equal(r.stdout.trim(), pushed.url)
  const again = await head(pushed.key)
  assert.equal(again.Metadata?.['created-at'], before.Metadata?.['created-at'])
  assert.deepEqual(await keys('team/revs/web/'), [pushed.key])
})

test('a large revision goes up in 8 MiB parts, with --to', {skip}, async () => {
  const r = await run(['bundle', 'push', 'big', '--to', `s3://${BUCKET}/other`, '--json'])
  assert.equal(r.code, 0, r.stderr)
  const p = json<BundlePushReport>(r)
  assert.equal(p.method, 'multipart')
  assert.ok(p.key.startsWith('other/big/'))
  const h = await head(p.key)
  // S3's ETag of a multipart object ends with its part count: 20 MiB of random data in 8 MiB parts
  assert.match(h.ETag ?? '', /-3"?$/)
  assert.equal(h.ContentLength, p.bytes)
  assert.equal(h.Metadata?.app, 'big')
  const {m, c} = await s3()
  assert.equal((await c.send(new m.ListMultipartUploadsCommand({Bucket: BUCKET}))).Uploads?.length ?? 0, 0)
})

test('deploy --revision s3://… deploys the stored revision and records its origin', {skip}, async () => {
  // the working tree moves on: the stored revision is what must be deployed
  makeApp('web', '<h1>working tree v2</h1>')
  rmSync(path.join(project, '.dops', 'bundles'), {recursive: true, force: true})
  const r = await run(['deploy', '-a', 'web', '--revision', pushed.url, '--json'])
  assert.equal(r.code, 0, r.stderr)
  const rep = json<DeployReport>(r)
  assert.equal(rep.status, 'succeeded')
  assert.equal(rep.revision.origin, pushed.url)
  assert.equal(rep.revision.id, pushed.revision.slice(0, 16))
  assert.equal(page(0), '<h1>stored v1</h1>')
  assert.equal(page(1), '<h1>stored v1</h1>')
  const rec = JSON.parse(readFileSync(path.join(project, '.dops', 'deployments', `${rep.deploymentId}.json`), 'utf8')) as DeployReport
  assert.equal(rec.revision.origin, pushed.url)
  const hist = await run(['deploy', 'history', '--json'])
  assert.equal(json<{deployments: Array<{deploymentId: string; origin?: string}>}>(hist).deployments.find((d) => d.deploymentId === rep.deploymentId)?.origin, pushed.url)
})

test('revisions list shows what is stored and which environments run each', {skip}, async () => {
  const r = await run(['revisions', 'list', 'web', '--json'])
  assert.equal(r.code, 0, r.stderr)
  const l = json<RevisionList>(r)
  assert.deepEqual(l.revisions.map((v) => v.key), await keys('team/revs/web/'))
  assert.equal(l.revisions[0]!.revision, pushed.revision)
  assert.deepEqual(l.revisions[0]!.environments, ['prod'])
  assert.equal(l.revisions[0]!.createdAt, (await head(pushed.key)).Metadata?.['created-at'])
  const text = await run(['revisions', 'list', 'web'])
  assert.match(text.stdout, new RegExp(`${pushed.sha256.slice(0, 12)}.*prod`))
})

test('apps.NAME.source: s3://… deploys from the store; env up finds the revisions there without the local cache', {skip}, async () => {
  writePlan(pushed.url)
  rmSync(path.join(project, '.dops', 'bundles'), {recursive: true, force: true})
  const r = await run(['deploy', '-a', 'web', '--json'])
  assert.equal(r.code, 0, r.stderr)
  const rep = json<DeployReport>(r)
  assert.equal(rep.status, 'succeeded')
  assert.equal(rep.revision.origin, pushed.url)
  assert.ok(readdirSync(path.join(project, '.dops', 'bundles', 'store')).includes(`${pushed.sha256}.tgz`))
  // another machine (no local cache): env up finds both apps' revisions in the store, and the hosts up to date
  rmSync(path.join(project, '.dops', 'bundles'), {recursive: true, force: true})
  const up = await run(['env', 'up', '-e', 'prod', '--json'])
  assert.equal(up.code, 0, up.stdout + up.stderr)
  const rep2 = json<{deployments: Array<{app: string; status: string}>}>(up)
  assert.deepEqual(rep2.deployments.map((d) => `${d.app} ${d.status}`), ['web up to date'])
})

test('a damaged object in the store is refused before any host is touched', {skip}, async () => {
  const {m, c} = await s3()
  const fake = createHash('sha256').update('something else').digest('hex')
  const key = `team/revs/web/${fake}.tgz`
  await c.send(new m.PutObjectCommand({Bucket: BUCKET, Key: key, Body: readFileSync(path.join(project, '.dops', 'bundles', 'store', `${pushed.sha256}.tgz`))}))
  const hostsBefore = readdirSync(path.join(fleet.hosts[0]!.fsDir, 'var/lib/dops'), {recursive: true, encoding: 'utf8'}).sort()
  writePlan()
  const r = await run(['deploy', '-a', 'web', '--revision', `s3://${BUCKET}/${key}`, '--json'])
  assert.equal(r.code, 2, r.stdout + r.stderr)
  assert.match(r.stdout, /damaged: its sha256 is [0-9a-f]{64}, expected [0-9a-f]{64}/)
  assert.deepEqual(readdirSync(path.join(fleet.hosts[0]!.fsDir, 'var/lib/dops'), {recursive: true, encoding: 'utf8'}).sort(), hostsBefore)
  assert.equal(existsSync(path.join(project, '.dops', 'bundles', 'store', `${fake}.tgz`)), false)
  const missing = await run(['deploy', '-a', 'web', '--revision', `s3://${BUCKET}/team/revs/web/${'0'.repeat(64)}.tgz`, '--json'])
  assert.equal(missing.code, 2)
  assert.match(missing.stdout, /is not in the store/)
})

test('a failed deployment rolls back to a stored revision this machine no longer has in its cache', {skip}, async () => {
  writePlan()
  makeApp('web', '<h1>broken</h1>', undefined, 'exit 3')
  rmSync(path.join(project, '.dops', 'bundles'), {recursive: true, force: true})
  const r = await run(['deploy', '-a', 'web', '--json'])
  const rep = json<DeployReport>(r)
  assert.equal(rep.status, 'failed-rolled-back', r.stdout + r.stderr)
  assert.equal(rep.rollback?.revision, pushed.revision.slice(0, 16))
  assert.equal(page(0), '<h1>stored v1</h1>')
  assert.ok(readdirSync(path.join(project, '.dops', 'bundles', 'store')).includes(`${pushed.sha256}.tgz`))
})

test('a store that does not exist is named with a hint, nothing uploaded, no stack trace', {skip}, async () => {
  const r = await run(['bundle', 'push', 'web', '--to', 's3://dops-no-such-bucket/x'])
  assert.equal(r.code, 2, r.stdout + r.stderr)
  assert.match(r.stderr, /revision store s3:\/\/dops-no-such-bucket\/x\/web\/[0-9a-f]{64}\.tgz: .* failed: NoSuchBucket.*the bucket does not exist/)
  assert.doesNotMatch(r.stderr, /\n\s+at /)
  const none = await run(['revisions', 'list', 'web', '-f', path.join(project, 'dops.yml'), '--store', 's3://dops-no-such-bucket/x', '--json'])
  assert.equal(none.code, 2)
})

test('a sha256 metadata that is not 64 hex digits is refused and nothing is written outside the cache', {skip}, async () => {
  const {m, c} = await s3()
  await c.send(new m.PutObjectCommand({Bucket: BUCKET, Key: 'team/revs/web/odd.tgz', Body: 'x', Metadata: {sha256: '../../escape'}}))
  const {fetchRevision} = await import('../../src/revisions/fetch.js')
  const cache = path.join(project, '.dops', 'bundles')
  const saved = {...process.env}
  Object.assign(process.env, AWS_TEST_ENV)
  try {
    await assert.rejects(fetchRevision(`s3://${BUCKET}/team/revs/web/odd.tgz`, {endpoint, region: 'us-east-1'}, cache), /sha256 metadata is not 64 lowercase hex/)
  } finally {
    process.env = saved
  }
  assert.equal(existsSync(path.join(project, '.dops', 'escape.tgz')), false)
  assert.deepEqual(readdirSync(path.join(cache, 'store')).filter((f) => f.endsWith('.tmp')), [])
})
