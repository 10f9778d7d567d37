/**
 * `dops env down` on the aws provider against moto (issue 11, items 1 and 5), inspected with the SDK and the state
 * file after each step: an Auto Scaling group grown outside dops goes with all its instances, its launch template
 * and the security groups, and --json says what was removed; a security group that stays in use fails down (exit
 * 23) naming it while the state keeps the group's record, and the next down finishes; a lost state is no excuse.
 */
import assert from 'node:assert/strict'
import type {ChildProcess} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, before, test} from 'node:test'
import {dops} from '../helpers.js'
import {AWS_TEST_ENV, type FaultProxy, haveMoto, motoAt, startFaultProxy, startMoto} from './moto.js'

const {port, endpoint, ec2, image, asg} = motoAt(25000)
const awsEnv = AWS_TEST_ENV

let moto: ChildProcess | undefined
const proxies: FaultProxy[] = []
let ami: string
const skip = haveMoto ? false : "moto is not installed (pip install 'moto[server]')"

const tagged = (project: string) => [{Name: 'tag:dops:project', Values: [project]}, {Name: 'tag:dops:env', Values: ['prod']}]

/** What EC2 has of the project: instances not terminated, Auto Scaling groups, launch templates, security groups, by id or name. */
async function remains(project: string): Promise<{instances: string[]; asgs: string[]; lts: string[]; sgs: string[]}> {
  const {m, c} = await ec2()
  const a = await asg()
  const inst = (await c.send(new m.DescribeInstancesCommand({Filters: [...tagged(project), {Name: 'instance-state-name', Values: ['pending', 'running', 'shutting-down', 'stopping', 'stopped']}]}))).Reservations!.flatMap((r) => r.Instances ?? [])
  const asgs = (await a.c.send(new a.m.DescribeAutoScalingGroupsCommand({}))).AutoScalingGroups!.filter((g) => g.AutoScalingGroupName!.startsWith(`dops-${project}-`))
  const lts = (await c.send(new m.DescribeLaunchTemplatesCommand({}))).LaunchTemplates!.filter((t) => t.LaunchTemplateName!.startsWith(`dops-${project}-`))
  const sgs = (await c.send(new m.DescribeSecurityGroupsCommand({Filters: tagged(project)}))).SecurityGroups!
  return {instances: inst.map((i) => i.InstanceId!).sort(), asgs: asgs.map((g) => g.AutoScalingGroupName!).sort(), lts: lts.map((t) => t.LaunchTemplateName!).sort(), sgs: sgs.map((g) => g.GroupId!).sort()}
}
const nothing = {instances: [], asgs: [], lts: [], sgs: []}

function project(name: string, groups: string, provider = `{type: aws, region: us-east-1, endpoint: "${endpoint}"}`): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `dops-awsdown-${name}-`))
  writeFileSync(path.join(dir, 'dops.yml'), `version: 1\nproject: ${name}\nproviders:\n  ec2: ${provider}\nenvironments:\n  prod:\n    groups:\n${groups}`)
  return dir
}
const stateFile = (dir: string, name: string) => path.join(dir, '.dops', 'state', `${name}-prod.json`)
const stateGroups = (dir: string, name: string) => Object.keys((JSON.parse(readFileSync(stateFile(dir, name), 'utf8')) as {groups: object}).groups).sort()
const run = (dir: string, args: string[]) => dops(args, {cwd: dir, env: awsEnv})

/** a 3-tier plan: a database, an app in an Auto Scaling group, a proxy in front; the provider entry is `ec2` */
const threeTier = (extra = '') =>
  `      db:\n        provider: ec2\n        instance: {count: 1, image: ${ami}, size: t3.micro, firewall: [{port: 5432, from: ["group:pool"]}]}\n` +
  `      pool:\n        provider: ec2\n        dependsOn: [db]\n        instance: {count: 2, image: ${ami}, size: t3.micro, autoScaling: {min: 1, max: 6}, firewall: [{port: 80, from: ["group:edge"]}]}\n` +
  `      edge:\n        provider: ec2\n        dependsOn: [pool]\n        instance: {count: 1, image: ${ami}, size: t3.micro, firewall: [{port: 443, from: [0.0.0.0/0]}]}\n${extra}`

/** Raise the Auto Scaling group's desired capacity outside dops and wait until it has that many instances. */
async function grow(name: string, desired: number): Promise<void> {
  const a = await asg()
  await a.c.send(new a.m.UpdateAutoScalingGroupCommand({AutoScalingGroupName: name, DesiredCapacity: desired}))
  for (let i = 0; i < 40 && (await a.c.send(new a.m.DescribeAutoScalingGroupsCommand({AutoScalingGroupNames: [name]}))).AutoScalingGroups![0]!.Instances!.length < desired; i++) await new Promise((r) => setTimeout(r, 250))
}

/** Every resource EC2 had before down, as env down names it, is in `removed`. */
function assertRemovedAll(removed: string[], before: Awaited<ReturnType<typeof remains>>): void {
  for (const id of before.instances) assert.ok(removed.includes(`instance ${id}`), `instance ${id} in ${removed.join(', ')}`)
  for (const n of before.asgs) assert.ok(removed.includes(`auto scaling group ${n}`), `auto scaling group ${n} in ${removed.join(', ')}`)
  for (const n of before.lts) assert.ok(removed.includes(`launch template ${n}`), `launch template ${n} in ${removed.join(', ')}`)
  for (const id of before.sgs) assert.ok(removed.includes(`security group ${id}`), `security group ${id} in ${removed.join(', ')}`)
}

before(async () => {
  if (!haveMoto) return
  moto = await startMoto(port)
  ami = await image()
})
after(() => {
  moto?.kill('SIGKILL')
  for (const p of proxies) p.close()
})

test('env down after the Auto Scaling group grew outside dops removes it, every instance, the launch template and the security groups, says so, then clears the state', {skip}, async () => {
  const dir = project('grew', threeTier())
  const up = await run(dir, ['env', 'up'])
  assert.equal(up.code, 0, up.stdout + up.stderr)
  // every second of a command is in a phase (issue 11, item 15): the process's own accounting adds up to its total
  for (const args of [['env', 'plan', '--json'], ['env', 'up', '--json']]) {
    const r = await run(dir, args)
    assert.equal(r.code, 0, r.stdout + r.stderr)
    const {phases} = JSON.parse(r.stdout) as {phases: Record<string, number>}
    for (const k of ['start', 'load', 'observe', 'plan']) assert.equal(typeof phases[k], 'number', `${args.join(' ')}: phase ${k} in ${JSON.stringify(phases)}`)
    const sum = Object.entries(phases).reduce((n, [k, ms]) => (k === 'total' ? n : n + ms), 0)
    assert.ok(phases.observe! > 0 && sum >= 0.9 * phases.total! && sum <= phases.total! + 5, `${args.join(' ')}: phases ${JSON.stringify(phases)} add up to the total`)
  }
  await grow('dops-grew-prod-pool', 5)
  const before = await remains('grew')
  assert.deepEqual([before.instances.length, before.asgs, before.lts, before.sgs.length], [7, ['dops-grew-prod-pool'], ['dops-grew-prod-pool'], 3], 'db 1 + pool 5 + edge 1')
  const down = await run(dir, ['env', 'down', '--yes', '--json'])
  assert.equal(down.code, 0, down.stdout + down.stderr)
  assert.deepEqual(await remains('grew'), nothing)
  const report = JSON.parse(down.stdout) as {removed: string[]; changes: Array<{group: string; provider: string}>}
  assertRemovedAll(report.removed, before)
  assert.deepEqual(report.changes.map((c) => [c.group, c.provider]), [['edge', 'ec2'], ['pool', 'ec2'], ['db', 'ec2']], 'the plan\'s provider name, dependants first')
  assert.deepEqual(stateGroups(dir, 'grew'), [])
  // the human summary says it too
  const again = project('grew2', threeTier())
  assert.equal((await run(again, ['env', 'up'])).code, 0)
  const sgs = (await remains('grew2')).sgs
  const human = await run(again, ['env', 'down', '--yes'])
  assert.equal(human.code, 0, human.stderr)
  for (const id of sgs) assert.match(human.stderr, new RegExp(`removed: .*security group ${id}`))
  assert.deepEqual(await remains('grew2'), nothing)
})

test('a security group in use past deleteTimeout: env down exits 23 naming it and the state keeps the group; the next env down finishes and clears it', {skip}, async () => {
  let stuck = true
  const p = await startFaultProxy(port, (action) => (stuck && action === 'DeleteSecurityGroup' ? {status: 400, code: 'DependencyViolation', message: 'resource sg has a dependent object'} : undefined))
  proxies.push(p)
  const dir = project('held', `      app:\n        provider: ec2\n        instance: {count: 2, image: ${ami}, size: t3.micro, firewall: [{port: 443, from: [0.0.0.0/0]}]}\n`, `{type: aws, region: us-east-1, endpoint: "${p.endpoint}", deleteTimeout: 2s}`)
  assert.equal((await run(dir, ['env', 'up'])).code, 0)
  const [sg] = (await remains('held')).sgs
  const failed = await run(dir, ['env', 'down', '--yes'])
  assert.equal(failed.code, 23, failed.stdout + failed.stderr)
  assert.ok(failed.stderr.includes(sg!), `names ${sg}: ${failed.stderr}`)
  assert.doesNotMatch(failed.stderr, /\n\s+at /)
  assert.deepEqual(await remains('held'), {...nothing, sgs: [sg]}, 'the instances are gone, the security group is not')
  assert.deepEqual(stateGroups(dir, 'held'), ['app'], 'the state keeps the group while its security group remains')
  stuck = false
  const again = await run(dir, ['env', 'down', '--yes', '--json'])
  assert.equal(again.code, 0, again.stdout + again.stderr)
  assert.ok((JSON.parse(again.stdout) as {removed: string[]}).removed.includes(`security group ${sg}`), again.stdout)
  assert.deepEqual(await remains('held'), nothing)
  assert.deepEqual(stateGroups(dir, 'held'), [])
})

test('a lost state: env down finds the environment by its tags and removes all of it (grown Auto Scaling group included)', {skip}, async () => {
  const dir = project('lost', threeTier())
  assert.equal((await run(dir, ['env', 'up'])).code, 0)
  await grow('dops-lost-prod-pool', 4)
  const before = await remains('lost')
  rmSync(path.join(dir, '.dops'), {recursive: true, force: true})
  const down = await run(dir, ['env', 'down', '--yes', '--json'])
  assert.equal(down.code, 0, down.stdout + down.stderr)
  assert.deepEqual(await remains('lost'), nothing)
  assertRemovedAll((JSON.parse(down.stdout) as {removed: string[]}).removed, before)
  assert.ok(!existsSync(stateFile(dir, 'lost')) || stateGroups(dir, 'lost').length === 0)
})
