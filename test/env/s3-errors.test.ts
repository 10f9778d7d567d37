/**
 * The S3 state backend's failures, against a moto server started here: a bucket that does not exist and an endpoint
 * nobody answers are clean errors naming the object, the API's error code and what to check (never "a bug in dops").
 */
import assert from 'node:assert/strict'
import type {ChildProcess} from 'node:child_process'
import {mkdtempSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, before, test} from 'node:test'
import {answers} from '../../src/providers/local/sandbox.js'
import {dops, json} from '../helpers.js'
import {freePort} from '../monitor/prometheus.js'
import {haveMoto, motoAt, startMoto} from './moto.js'

const {port, endpoint} = motoAt(23000)
const awsEnv = {AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'us-east-1', AWS_EC2_METADATA_DISABLED: 'true'}
let moto: ChildProcess | undefined
const skip = haveMoto ? false : "moto is not installed (pip install 'moto[server]')"

before(async () => {
  if (!haveMoto) return
  moto = await startMoto(port)
})
after(() => {
  moto?.kill('SIGKILL')
})

/** A project whose state lives in `bucket` at `at`, with one static group (no provider call). */
function project(bucket: string, at: string): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'dops-s3-errors-'))
  writeFileSync(path.join(d, 'dops.yml'), `version: 1\nproject: shared\nstate: {backend: s3, bucket: ${bucket}, endpoint: "${at}"}\nenvironments:\n  prod:\n    groups:\n      app:\n        hosts: [10.9.9.9]\n`)
  return d
}

test('a state bucket that does not exist: the object, NoSuchBucket and a hint, exit 2, no "bug in dops"', {skip}, async () => {
  const cwd = project('no-such-dops-bucket', endpoint)
  for (const args of [['env', 'plan'], ['env', 'up', '--json'], ['env', 'unlock', '--yes'], ['env', 'status', '--json']]) {
    const r = await dops(args, {cwd, env: awsEnv})
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`)
    assert.doesNotMatch(r.stderr + r.stdout, /bug in dops|INTERNAL|    at /)
    const text = args.includes('--json') ? JSON.stringify(json(r)) : r.stderr
    assert.match(text, /s3:\/\/no-such-dops-bucket\/dops\/shared\/prod\.json/)
    assert.match(text, /NoSuchBucket/)
    assert.match(text, /check state\.bucket/)
    if (args.includes('--json')) assert.equal((json<{error: {code: string}}>(r)).error.code, 'STATE_UNAVAILABLE')
  }
})

test('a state endpoint nobody answers: the object, the connection error and a hint, exit 4', {skip}, async () => {
  // a port nobody listens on (one the kernel just gave out and took back, checked; not moto's neighbour, which
  // may be another file's moto)
  const closed = await freePort()
  assert.equal(await answers('127.0.0.1', closed), false)
  const r = await dops(['env', 'plan'], {cwd: project('dops-state', `http://127.0.0.1:${closed}`), env: awsEnv})
  assert.equal(r.code, 4, r.stdout + r.stderr)
  assert.doesNotMatch(r.stderr, /bug in dops/)
  assert.match(r.stderr, /s3:\/\/dops-state\/dops\/shared\/prod\.json: reading failed: .*ECONNREFUSED.*check state\.endpoint/)
})

test('a lock object that is not a dops lock: env up is refused naming it (exit 22), env unlock removes it', {skip}, async () => {
  const {S3Client, CreateBucketCommand, PutObjectCommand, HeadObjectCommand} = await import('@aws-sdk/client-s3')
  const s3 = new S3Client({endpoint, forcePathStyle: true, region: 'us-east-1', credentials: {accessKeyId: 'testing', secretAccessKey: 'testing'}})
  await s3.send(new CreateBucketCommand({Bucket: 'dops-garbled-lock'}))
  await s3.send(new PutObjectCommand({Bucket: 'dops-garbled-lock', Key: 'dops/shared/prod.lock', Body: '{"owner": "x", "pi'}))
  const cwd = project('dops-garbled-lock', endpoint)
  const up = await dops(['env', 'up', '--yes'], {cwd, env: awsEnv})
  assert.equal(up.code, 22, up.stdout + up.stderr)
  assert.doesNotMatch(up.stderr, /bug in dops|    at /)
  assert.match(up.stderr, /s3:\/\/dops-garbled-lock\/dops\/shared\/prod\.lock is not a lock dops can read.*dops env unlock/)
  const unlock = await dops(['env', 'unlock', '--yes'], {cwd, env: awsEnv})
  assert.equal(unlock.code, 0, unlock.stdout + unlock.stderr)
  assert.match(unlock.stdout + unlock.stderr, /unreadable lock object/)
  await assert.rejects(s3.send(new HeadObjectCommand({Bucket: 'dops-garbled-lock', Key: 'dops/shared/prod.lock'})))
  s3.destroy()
})
