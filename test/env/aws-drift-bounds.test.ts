/**
 * Auto Scaling bounds against EC2's rules (issue 11, item 3), against moto behind a proxy that enforces what moto
 * does not: the desired capacity within min and max after every UpdateAutoScalingGroup and CreateAutoScalingGroup,
 * and no TerminateInstanceInAutoScalingGroup / DetachInstances with decrement below the minimum, no AttachInstances
 * above the maximum (ValidationError, as EC2 answers). The host count and the bounds change together, up and down;
 * the group is removed and made again around its instance; each step inspected with the SDK; the next plan is clean.
 */
import assert from 'node:assert/strict'
import type {ChildProcess} from 'node:child_process'
import {mkdtempSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, before, test} from 'node:test'
import {dops} from '../helpers.js'
import {haveMoto, motoAt, startFaultProxy, startMoto, type FaultProxy} from './moto.js'

// its own base: aws-down.test.ts has 25000
const {port, endpoint, image} = motoAt(28000)
const awsEnv = {AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'us-east-1', AWS_EC2_METADATA_DISABLED: 'true'}
const creds = {accessKeyId: 'testing', secretAccessKey: 'testing'}
const skip = haveMoto ? false : "moto is not installed (pip install 'moto[server]')"
let moto: ChildProcess | undefined
let strict: FaultProxy | undefined
let ami: string
const refused: string[] = []

/** EC2's rules on an Auto Scaling group's capacity, kept from the calls dops makes (one group in this file). */
function ec2Rules() {
  const g = {min: 0, max: 0, desired: 0}
  const no = (why: string) => {
    refused.push(why)
    return {status: 400, code: 'ValidationError', message: why}
  }
  const count = (p: URLSearchParams) => [...p.keys()].filter((k) => k.startsWith('InstanceIds.member.')).length
  return (action: string, _n: number, p: URLSearchParams) => {
    const num = (k: string, d: number) => (p.has(k) ? Number(p.get(k)) : d)
    if (action === 'CreateAutoScalingGroup' || action === 'UpdateAutoScalingGroup') {
      const next = {min: num('MinSize', g.min), max: num('MaxSize', g.max), desired: num('DesiredCapacity', action === 'CreateAutoScalingGroup' ? num('MinSize', 0) : g.desired)}
      if (next.desired < next.min || next.desired > next.max) return no(`Desired capacity:${next.desired} must be between the specified min size:${next.min} and max size:${next.max}`)
      Object.assign(g, next)
    }
    const decrement = p.get('ShouldDecrementDesiredCapacity') === 'true'
    if (action === 'TerminateInstanceInAutoScalingGroup' && decrement) {
      if (g.desired - 1 < g.min) return no(`Currently, desiredSize equals minSize (${g.min}). Terminating instance without replacement will violate group's min size constraint.`)
      g.desired--
    }
    if (action === 'DetachInstances' && decrement) {
      if (g.desired - count(p) < g.min) return no(`Detaching ${count(p)} instance(s) with decrement would go below the group's min size ${g.min}`)
      g.desired -= count(p)
    }
    if (action === 'AttachInstances') {
      if (g.desired + count(p) > g.max) return no(`Attaching ${count(p)} instance(s) would go above the group's max size ${g.max}`)
      g.desired += count(p)
    }
    return undefined
  }
}

const group = async (name: string) => {
  const a = await import('@aws-sdk/client-auto-scaling')
  return (await new a.AutoScalingClient({region: 'us-east-1', endpoint, credentials: creds}).send(new a.DescribeAutoScalingGroupsCommand({AutoScalingGroupNames: [name]}))).AutoScalingGroups![0]
}
const running = async (project: string) => {
  const m = await import('@aws-sdk/client-ec2')
  const c = new m.EC2Client({region: 'us-east-1', endpoint, credentials: creds})
  return (await c.send(new m.DescribeInstancesCommand({Filters: [{Name: 'tag:dops:project', Values: [project]}, {Name: 'instance-state-name', Values: ['pending', 'running']}]}))).Reservations!.flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId!)
}
function write(dir: string, instance: Record<string, unknown>): void {
  writeFileSync(path.join(dir, 'dops.yml'), `version: 1\nproject: bounds\nproviders:\n  aws: {type: aws, region: us-east-1, endpoint: "${strict!.endpoint}"}\nenvironments:\n  prod:\n    groups:\n      pool:\n        provider: aws\n        instance: ${JSON.stringify(instance)}\n`)
}
const run = (dir: string, args: string[]) => dops(args, {cwd: dir, env: awsEnv})
const up = async (dir: string) => {
  const r = await run(dir, ['env', 'up', '--yes'])
  assert.equal(r.code, 0, r.stdout + r.stderr)
  const plan = await run(dir, ['env', 'plan', '--json'])
  assert.equal(JSON.parse(plan.stdout).changed, false, plan.stdout)
}

before(async () => {
  if (skip) return
  moto = await startMoto(port)
  strict = await startFaultProxy(port, ec2Rules())
  ami = await image()
})
after(() => {
  moto?.kill('SIGKILL')
  strict?.close()
})

test('the host count and the Auto Scaling bounds change together, within EC2\'s rules at every call; the group goes and comes back around its instance', {skip}, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dops-awsdrift-bounds-'))
  const spec = {count: 2, image: ami, size: 't3.micro', autoScaling: {min: 1, max: 3}}
  const bounds = async () => {
    const g = (await group('dops-bounds-prod-pool'))!
    return [g.MinSize, g.MaxSize, g.DesiredCapacity, g.Instances!.length]
  }
  write(dir, spec)
  await up(dir)
  assert.deepEqual(await bounds(), [1, 3, 2, 2])
  write(dir, {...spec, count: 4, autoScaling: {min: 4, max: 5}})
  await up(dir)
  assert.deepEqual(await bounds(), [4, 5, 4, 4])
  write(dir, {...spec, count: 1, autoScaling: {min: 1, max: 2}})
  await up(dir)
  assert.deepEqual(await bounds(), [1, 2, 1, 1])
  const [only] = await running('bounds')
  write(dir, {count: 1, image: ami, size: 't3.micro'})
  await up(dir)
  assert.equal(await group('dops-bounds-prod-pool'), undefined)
  assert.deepEqual(await running('bounds'), [only])
  write(dir, {...spec, count: 1, autoScaling: {min: 1, max: 2}})
  await up(dir)
  assert.deepEqual(await bounds(), [1, 2, 1, 1])
  assert.deepEqual(await running('bounds'), [only], 'made around it, nothing launched')
  assert.deepEqual(refused, [], 'no call broke EC2\'s rules')
  assert.equal((await run(dir, ['env', 'down', '--yes'])).code, 0)
  assert.deepEqual(await running('bounds'), [])
})
