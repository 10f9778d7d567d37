/**
 * The aws provider's replace path against moto, as a recovery drives it (`envUp` with `replace` and the decision's id
 * as `actionId`): the named instance is replaced create-before-destroy by one with the same dops tags; RunInstances
 * carries a ClientToken derived from the action, the same for a retry of that action (a plain `env up` leaves it to the SDK).
 */
import assert from 'node:assert/strict'
import type {ChildProcess} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, before, test} from 'node:test'
import {envUp} from '../../src/env/env-job.js'
import {clientToken} from '../../src/providers/aws/create.js'
import {registerCoreKinds} from '../../src/serve/jobs/kinds.js'
import {jobKind} from '../../src/serve/jobs/registry.js'
import {AWS_TEST_ENV, haveMoto, motoAt, startFaultProxy, startMoto, type FaultProxy} from '../env/moto.js'

const {port, ec2, image} = motoAt(27000)
const skip = !haveMoto ? "moto is not installed (pip install 'moto[server]')" : false
let moto: ChildProcess | undefined
let proxy: FaultProxy | undefined
const dir = mkdtempSync(path.join(os.tmpdir(), 'dops-aws-recover-'))
Object.assign(process.env, AWS_TEST_ENV)

before(async () => {
  if (skip) return
  moto = await startMoto(port)
  proxy = await startFaultProxy(port, () => undefined)
})
after(() => {
  proxy?.close()
  moto?.kill('SIGKILL')
  rmSync(dir, {recursive: true, force: true})
})

const live = async () => {
  const {m, c} = await ec2()
  return (await c.send(new m.DescribeInstancesCommand({Filters: [{Name: 'tag:dops:project', Values: ['awsrec']}, {Name: 'instance-state-name', Values: ['pending', 'running']}]}))).Reservations!.flatMap((r) => r.Instances ?? [])
}
const tags = (i: {Tags?: Array<{Key?: string; Value?: string}>}) => Object.fromEntries((i.Tags ?? []).filter((t) => t.Key!.startsWith('dops:') || t.Key === 'Name').map((t) => [t.Key, t.Value]))

test('a recovery replace on aws: same tags, create-before-destroy, ClientToken from the action id', {skip}, async () => {
  const ami = await image()
  const planFile = path.join(dir, 'dops.yml')
  writeFileSync(planFile, `version: 1\nproject: awsrec\nproviders:\n  aws: {type: aws, region: us-east-1, endpoint: "${proxy!.endpoint}"}\nenvironments:\n  prod:\n    groups:\n      pool:\n        provider: aws\n        instance: {count: 2, image: ${ami}, size: t3.micro}\n`)
  const source = {cwd: dir, planFile, env: 'prod'}
  const first = await envUp({source, connection: {}, yes: true})
  assert.equal(first.exitCode, 0)
  // a plain env up: the SDK's own random token per call (dops gives none)
  assert.doesNotMatch(proxy!.calls.get('RunInstances')![0]!.get('ClientToken') ?? '', /^dops-/)
  const before = await live()
  const state = () => (JSON.parse(readFileSync(path.join(dir, '.dops/state/awsrec-prod.json'), 'utf8')) as {groups: {pool: {instances: Array<{id: string; name: string}>}}}).groups.pool.instances
  const victim = state()[0]!
  const r = await envUp({source, connection: {}, replace: [victim.name], actionId: 'd-test-123', yes: true})
  assert.equal(r.exitCode, 0)
  assert.deepEqual(r.changes[0]!.replace, [{name: victim.name, why: ['replacement requested']}])
  const kinds = r.steps.map((s) => s.kind)
  assert.ok(kinds.indexOf('create') < kinds.indexOf('destroy'), `create before destroy: ${kinds.join(', ')}`)
  const after = await live()
  assert.equal(after.length, 2)
  assert.ok(!after.some((i) => i.InstanceId === victim.id), 'the named instance is gone')
  assert.ok(after.some((i) => i.InstanceId === before.find((b) => b.InstanceId !== victim.id)!.InstanceId), 'the other one is kept')
  const fresh = after.find((i) => !before.some((b) => b.InstanceId === i.InstanceId))!
  assert.deepEqual(tags(fresh), tags(before.find((b) => b.InstanceId === victim.id)!), 'the same dops tags and Name')
  const token = proxy!.calls.get('RunInstances')![1]!.get('ClientToken')
  assert.match(token ?? '', /^dops-[0-9a-f]{40}$/)
  // the same action retried from the same state asks EC2 with the same token; another action with another
  const ctx = {project: 'awsrec', env: 'prod', group: 'pool', projectDir: dir, spec: {}, settings: {}}
  // at its create step the group had both old instances
  const existing = before.map((i) => ({id: i.InstanceId!})) as never
  const t1 = clientToken({...ctx, idempotencyKey: 'd-test-123'}, existing, undefined, 1)
  assert.equal(t1, token)
  assert.notEqual(clientToken({...ctx, idempotencyKey: 'd-other'}, existing, undefined, 1), token)
  assert.equal(clientToken(ctx, existing, undefined, 1), undefined)

  // a recovery's scale (the core `scale` job kind with the decision id, as the engine starts it) carries one too
  registerCoreKinds()
  const job = {id: 'j-20261203-000000-abcdef', kind: 'scale' as const, env: 'prod', params: {}, trigger: {type: 'recovery' as const}, state: 'running' as const, createdAt: new Date().toISOString()}
  const scaled = await jobKind('scale')!({groups: {pool: 3}, yes: true, decision: 'd-scale-1'}, {projectDir: dir, planFile, job, reporter: () => {}, log: () => {}, stopSignal: new AbortController().signal})
  assert.equal(scaled.exitCode, 0)
  assert.equal((await live()).length, 3)
  const calls = proxy!.calls.get('RunInstances')!
  assert.match(calls[calls.length - 1]!.get('ClientToken') ?? '', /^dops-[0-9a-f]{40}$/, 'the scale\'s RunInstances carries a ClientToken from the decision')
})
