/**
 * `distribution: pull` on sandbox hosts and moto: the revision goes once to the store and each host downloads it
 * (curl, pre-signed URL) and verifies its sha256; a corrupted object or a refused download fails the host with a
 * clear error and installs nothing. A counting proxy in front of moto is the oracle of who fetched what.
 */
import assert from 'node:assert/strict'
import type {ChildProcess} from 'node:child_process'
import {chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import {after, before, test} from 'node:test'
import {dops, json} from '../helpers.js'
import {startFleet, type Fleet} from '../fleet/fleet.js'
import {AWS_TEST_ENV, haveMoto, motoAt, startMoto, TEST_CREDS} from '../env/moto.js'
import type {DeployReport} from '../../src/deploy/deploy-job.js'
import type {BundlePushReport} from '../../src/revisions/jobs.js'

const {port, endpoint: motoEndpoint} = motoAt(12000)
const BUCKET = 'dops-pull-test'
const skip = haveMoto ? false : 'moto_server is not installed'
const N = 3
let moto: ChildProcess | undefined
let fleet: Fleet
let project: string
let proxy: http.Server
let proxyEndpoint = ''
/** requests seen by the proxy: method, path, whether the query was pre-signed */
const seen: Array<{method: string; path: string; signed: boolean}> = []
let refuseSignedGets = false

async function s3() {
  const m = await import('@aws-sdk/client-s3')
  return {m, c: new m.S3Client({region: 'us-east-1', endpoint: motoEndpoint, credentials: TEST_CREDS, forcePathStyle: true})}
}

function makeApp(text: string): void {
  const d = path.join(project, 'web')
  mkdirSync(path.join(d, 'site'), {recursive: true})
  mkdirSync(path.join(d, 'scripts'), {recursive: true})
  writeFileSync(path.join(d, 'site', 'index.html'), `${text}\n`)
  writeFileSync(path.join(d, 'scripts', 'start.sh'), '#!/bin/sh\ntrue\n')
  chmodSync(path.join(d, 'scripts', 'start.sh'), 0o755)
  writeFileSync(path.join(d, 'appspec.yml'), 'version: 0.0\nos: linux\nfiles:\n  - source: site\n    destination: /var/www/pull\nhooks:\n  ApplicationStart:\n    - location: scripts/start.sh\n      timeout: 30\n')
}

const run = (args: string[]) => dops(args, {cwd: project, env: AWS_TEST_ENV})
const page = (i: number) => readFileSync(path.join(fleet.hosts[i]!.fsDir, 'var/www/pull/index.html'), 'utf8').trim()
const hostFiles = (i: number) => readdirSync(path.join(fleet.hosts[i]!.fsDir, 'var/lib/dops'), {recursive: true, encoding: 'utf8'}).join('\n')

before(async () => {
  if (skip) return
  moto = await startMoto(port)
  proxy = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x')
    const signed = u.searchParams.has('X-Amz-Signature')
    seen.push({method: req.method ?? '?', path: u.pathname, signed})
    if (refuseSignedGets && signed) {
      res.writeHead(403, {'content-type': 'application/xml'})
      return void res.end('<Error><Code>AccessDenied</Code><Message>refused by the test</Message></Error>')
    }
    const fwd = http.request({host: '127.0.0.1', port, method: req.method, path: req.url, headers: req.headers}, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers)
      up.pipe(res)
    })
    fwd.on('error', () => res.destroy())
    req.pipe(fwd)
  })
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r))
  proxyEndpoint = `http://127.0.0.1:${(proxy.address() as {port: number}).port}`
  const {m, c} = await s3()
  await c.send(new m.CreateBucketCommand({Bucket: BUCKET}))
  fleet = await startFleet({count: N, prefix: 'pl'})
  project = mkdtempSync(path.join(os.tmpdir(), 'dops-pull-'))
  writeFileSync(
    path.join(project, 'dops.yml'),
    `version: 1
project: pull
ssh:
  config: ${fleet.sshConfig}
revisions:
  store: s3://${BUCKET}/revs
  endpoint: ${proxyEndpoint}
  presignExpiry: 5m
apps:
  web:
    source: ./web
    distribution: pull
    strategy: {batch: 1}
environments:
  prod:
    groups:
      web:
        hosts: [${fleet.hosts.map((h) => h.name).join(', ')}]
        apps: [web]
`,
  )
})
after(async () => {
  await fleet?.stop()
  proxy?.close()
  moto?.kill('SIGKILL')
  if (project) rmSync(project, {recursive: true, force: true})
})

test('each host downloads the revision itself from a pre-signed URL; the URL is never shown nor recorded', {skip}, async () => {
  makeApp('<h1>pulled v1</h1>')
  seen.length = 0
  const r = await run(['deploy', '--json'])
  assert.equal(r.code, 0, r.stdout + r.stderr)
  const rep = json<DeployReport>(r)
  assert.equal(rep.status, 'succeeded')
  const key = new URL(rep.revision.origin!.replace('s3://', 'http://')).pathname.slice(1)
  const objectPath = `/${BUCKET}/${key}`
  // uploaded once by the client, fetched once by each host with a signed URL
  assert.equal(seen.filter((s) => s.method === 'PUT' && s.path === objectPath).length, 1)
  const gets = seen.filter((s) => s.method === 'GET' && s.path === objectPath)
  assert.equal(gets.length, N)
  assert.ok(gets.every((g) => g.signed))
  const {m, c} = await s3()
  const h = await c.send(new m.HeadObjectCommand({Bucket: BUCKET, Key: key}))
  assert.equal(h.Metadata?.app, 'web')
  for (let i = 0; i < N; i++) assert.equal(page(i), '<h1>pulled v1</h1>')
  const record = readFileSync(path.join(project, '.dops', 'deployments', `${rep.deploymentId}.json`), 'utf8')
  for (const text of [record, r.stdout, r.stderr]) assert.doesNotMatch(text, /X-Amz-Signature|X-Amz-Credential/)
  assert.equal((JSON.parse(record) as DeployReport).revision.origin, `s3://${BUCKET}/${key}`)
})

test('a corrupted object fails the host on its checksum and installs nothing', {skip}, async () => {
  makeApp('<h1>pulled v2</h1>')
  const p = await run(['bundle', 'push', 'web', '--json'])
  assert.equal(p.code, 0, p.stderr)
  const pushed = json<BundlePushReport>(p)
  const {m, c} = await s3()
  const body = readFileSync(path.join(project, '.dops', 'bundles', `${pushed.revision}.tgz`))
  const mid = body.length >> 1
  body.writeUInt8(body.readUInt8(mid) ^ 0xff, mid)
  await c.send(new m.PutObjectCommand({Bucket: BUCKET, Key: pushed.key, Body: body, Metadata: pushed.metadata}))
  const r = await run(['deploy', '--json'])
  assert.notEqual(r.code, 0)
  const rep = json<DeployReport>(r)
  const failed = rep.results.filter((x) => x.status === 'failed')
  assert.ok(failed.length >= 1, r.stdout)
  for (const f of failed) assert.match(f.error ?? '', /downloaded from the store is damaged \(sha256 mismatch\); nothing was installed/)
  const id = pushed.revision.slice(0, 16)
  for (let i = 0; i < N; i++) {
    assert.equal(page(i), '<h1>pulled v1</h1>')
    assert.doesNotMatch(hostFiles(i), new RegExp(id))
  }
})

test('a refused download fails the host with the store error and installs nothing', {skip}, async () => {
  makeApp('<h1>pulled v3</h1>')
  refuseSignedGets = true
  try {
    const r = await run(['deploy', '--json'])
    assert.notEqual(r.code, 0)
    const rep = json<DeployReport>(r)
    const failed = rep.results.filter((x) => x.status === 'failed')
    assert.ok(failed.length >= 1, r.stdout)
    for (const f of failed) assert.match(f.error ?? '', /could not download the revision from the store: .*curl exit 22/)
    for (let i = 0; i < N; i++) {
      assert.equal(page(i), '<h1>pulled v1</h1>')
      assert.doesNotMatch(hostFiles(i), new RegExp(rep.revision.id))
    }
    assert.doesNotMatch(r.stdout + r.stderr, /X-Amz-Signature/)
  } finally {
    refuseSignedGets = false
  }
})
