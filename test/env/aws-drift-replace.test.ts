/**
 * The aws provider under the environment's replacement and stopped-host steps (issue 11, items 3 and 4), against
 * moto, inspected with the SDK: a new `size` replaces every instance (plain, and in an Auto Scaling group through a
 * new launch template version, its bounds the plan's afterwards), the next plan is clean; a stopped instance is
 * started, never made again.
 */
import assert from 'node:assert/strict'
import type {ChildProcess} from 'node:child_process'
import {mkdtempSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, before, test} from 'node:test'
import {dops} from '../helpers.js'
import {AWS_TEST_ENV, haveMoto, motoAt, startMoto, TEST_CREDS} from './moto.js'

const {port, endpoint, ec2, image} = motoAt(26000)
const awsEnv = AWS_TEST_ENV
const creds = TEST_CREDS

const skip = !haveMoto ? "moto is not installed (pip install 'moto[server]')" : false
let moto: ChildProcess | undefined
let ami: string

const instancesOf = async (p: string) => {
  const {m, c} = await ec2()
  return (await c.send(new m.DescribeInstancesCommand({Filters: [{Name: 'tag:dops:project', Values: [p]}, {Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped']}]}))).Reservations!.flatMap((r) => r.Instances ?? [])
}
function write(dir: string, name: string, instance: Record<string, unknown>): void {
  writeFileSync(path.join(dir, 'dops.yml'), `version: 1\nproject: ${name}\nproviders:\n  aws: {type: aws, region: us-east-1, endpoint: "${endpoint}"}\nenvironments:\n  prod:\n    groups:\n      pool:\n        provider: aws\n        instance: ${JSON.stringify(instance)}\n`)
}
const run = (dir: string, args: string[]) => dops(args, {cwd: dir, env: awsEnv})

before(async () => {
  if (skip) return
  moto = await startMoto(port)
  ami = await image()
})
after(() => moto?.kill('SIGKILL'))

for (const asg of [false, true]) {
  test(`a new size replaces every instance${asg ? ' of an Auto Scaling group (new launch template version)' : ''}; a stopped instance is started, not made again`, {skip}, async () => {
    const name = asg ? 'replasg' : 'replplain'
    const dir = mkdtempSync(path.join(os.tmpdir(), `dops-awsrepl-${name}-`))
    const spec = {count: 3, image: ami, size: 't3.micro', ...(asg ? {autoScaling: {min: 1, max: 3}} : {})}
    write(dir, name, spec)
    assert.equal((await run(dir, ['env', 'up'])).code, 0)
    const old = (await instancesOf(name)).map((i) => i.InstanceId!)
    write(dir, name, {...spec, size: 't3.small'})
    const plan = await run(dir, ['env', 'plan'])
    assert.equal(plan.code, 0, plan.stdout + plan.stderr)
    assert.equal(plan.stdout.match(/size t3\.micro -> t3\.small/g)?.length, asg ? 4 : 3, plan.stdout)
    if (asg) assert.match(plan.stdout, /launch template version 1 -> 2/)
    const up = await run(dir, ['env', 'up', '--yes'])
    assert.equal(up.code, 0, up.stdout + up.stderr)
    const now = await instancesOf(name)
    assert.deepEqual(now.map((i) => i.InstanceType), ['t3.small', 't3.small', 't3.small'])
    assert.ok(now.every((i) => !old.includes(i.InstanceId!)), 'every instance is new')
    if (asg) {
      const a = await import('@aws-sdk/client-auto-scaling')
      const g = (await new a.AutoScalingClient({region: 'us-east-1', endpoint, credentials: creds}).send(new a.DescribeAutoScalingGroupsCommand({AutoScalingGroupNames: [`dops-${name}-prod-pool`]}))).AutoScalingGroups![0]!
      assert.deepEqual([g.MinSize, g.MaxSize, g.DesiredCapacity, g.Instances!.length], [1, 3, 3, 3], 'bounds widened during the batches are the plan\'s again')
    }
    const again = await run(dir, ['env', 'plan', '--json'])
    assert.equal(JSON.parse(again.stdout).changed, false, again.stdout)
    const {m, c} = await ec2()
    await c.send(new m.StopInstancesCommand({InstanceIds: [now[0]!.InstanceId!]}))
    const started = await run(dir, ['env', 'up', '--yes'])
    assert.equal(started.code, 0, started.stdout + started.stderr)
    const after = await instancesOf(name)
    assert.deepEqual(after.map((i) => [i.InstanceId, i.State?.Name]).sort(), now.map((i) => [i.InstanceId, 'running']).sort(), 'started again, none made')
    assert.equal((await run(dir, ['env', 'down', '--yes'])).code, 0)
    assert.deepEqual(await instancesOf(name), [])
  })
}
