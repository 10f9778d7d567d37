/**
 * The aws provider converges (issue 11, items 2-4) against moto, every step inspected with the SDK: tags, Auto
 * Scaling bounds and a new launch template version in place (env plan shows them, env up applies them, the next plan
 * is clean); an Auto Scaling group the plan no longer has is deleted and its instances stay; one the plan now has is
 * made around the running instances; outdated instances (size, image, storage, launch template version), read once;
 * stopped instances are told apart, found after a lost state, and started.
 */
import assert from 'node:assert/strict'
import type {ChildProcess} from 'node:child_process'
import {mkdtempSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, before, test} from 'node:test'
import {dops} from '../helpers.js'
import {AWS_TEST_ENV, type FaultProxy, haveMoto, motoAt, startFaultProxy, startMoto} from './moto.js'

const {port, endpoint, ec2, asg} = motoAt(24000)
const awsEnv = AWS_TEST_ENV

let moto: ChildProcess | undefined
const proxies: FaultProxy[] = []
let ami: string
let ami2: string
const skip = haveMoto ? false : "moto is not installed (pip install 'moto[server]')"

const group = async (name: string) => {
  const a = await asg()
  return (await a.c.send(new a.m.DescribeAutoScalingGroupsCommand({AutoScalingGroupNames: [name]}))).AutoScalingGroups![0]
}
const instancesOf = async (project: string, states = ['pending', 'running', 'stopping', 'stopped']) => {
  const {m, c} = await ec2()
  return (await c.send(new m.DescribeInstancesCommand({Filters: [{Name: 'tag:dops:project', Values: [project]}, {Name: 'instance-state-name', Values: states}]}))).Reservations!.flatMap((r) => r.Instances ?? [])
}
const tagsOf = (t: Array<{Key?: string; Value?: string}> = []) => Object.fromEntries(t.filter((x) => !x.Key!.startsWith('aws:') && !x.Key!.startsWith('dops:')).map((x) => [x.Key, x.Value]))

function project(name: string, instance: Record<string, unknown>, provider = `{type: aws, region: us-east-1, endpoint: "${endpoint}"}`): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `dops-awsdrift-${name}-`))
  write(dir, name, instance, provider)
  return dir
}
function write(dir: string, name: string, instance: Record<string, unknown>, provider = `{type: aws, region: us-east-1, endpoint: "${endpoint}"}`): void {
  writeFileSync(path.join(dir, 'dops.yml'), `version: 1\nproject: ${name}\nproviders:\n  aws: ${provider}\nenvironments:\n  prod:\n    groups:\n      pool:\n        provider: aws\n        instance: ${JSON.stringify(instance)}\n`)
}
const run = (dir: string, args: string[]) => dops(args, {cwd: dir, env: awsEnv})
const planOf = async (dir: string) => {
  const r = await run(dir, ['env', 'plan', '--json'])
  assert.equal(r.code, 0, r.stdout + r.stderr)
  return JSON.parse(r.stdout) as {changed: boolean; changes: Array<{group: string; create: number; destroy: string[]; updates: string[]}>}
}
const ctx = (name: string, dir: string, spec: Record<string, unknown>, ep = endpoint) => ({project: name, env: 'prod', group: 'pool', projectDir: dir, spec, settings: {region: 'us-east-1', endpoint: ep}})
const provider = async () => (await import('../../src/providers/aws/provider.js')).awsProvider

before(async () => {
  if (!haveMoto) return
  Object.assign(process.env, awsEnv)
  moto = await startMoto(port)
  const {m, c} = await ec2()
  const images = (await c.send(new m.DescribeImagesCommand({Filters: [{Name: 'architecture', Values: ['x86_64']}]}))).Images!.filter((i) => i.ImageId && i.Name)
  ami = images[0]!.ImageId!
  ami2 = images.find((i) => i.ImageId !== ami && i.RootDeviceName === images[0]!.RootDeviceName)!.ImageId!
})
after(() => {
  moto?.kill('SIGKILL')
  for (const p of proxies) p.close()
})

test('tags, Auto Scaling bounds and the launch template change in place: env plan shows them, env up applies them, the next plan is clean', {skip}, async () => {
  const spec = {count: 2, image: ami, size: 't3.micro', autoScaling: {min: 1, max: 4}, tags: {team: 'shop', owner: 'ann'}, firewall: [{port: 22, from: ['10.0.0.0/8']}]}
  const dir = project('inplace', spec)
  const up = await run(dir, ['env', 'up'])
  assert.equal(up.code, 0, up.stdout + up.stderr)
  const before = await instancesOf('inplace')
  assert.equal(before.length, 2)
  // a tag dops did not set: never touched
  const {m, c} = await ec2()
  await c.send(new m.CreateTagsCommand({Resources: [before[0]!.InstanceId!], Tags: [{Key: 'backup', Value: 'daily'}]}))
  write(dir, 'inplace', {...spec, autoScaling: {min: 2, max: 6}, tags: {team: 'web', cost: 7}})
  const plan = await planOf(dir)
  const updates = plan.changes.find((ch) => ch.group === 'pool')!.updates
  assert.deepEqual([...updates].sort(), [
    'auto scaling group dops-inplace-prod-pool: min 1 -> 2, max 4 -> 6',
    'launch template dops-inplace-prod-pool: new version 2, the default (tags)',
    'tag +cost=7 (on 2 instance(s), the auto scaling group)',
    'tag -owner (on 2 instance(s), the auto scaling group)',
    'tag team: shop -> web (on 2 instance(s), the auto scaling group)',
  ])
  assert.equal(plan.changes[0]!.create + plan.changes[0]!.destroy.length, 0, 'tags and bounds never replace a host')
  const applied = await run(dir, ['env', 'up'])
  assert.equal(applied.code, 0, applied.stdout + applied.stderr)
  assert.match(applied.stdout + applied.stderr, /changed pool: tag team: shop -> web/)
  const now = await instancesOf('inplace')
  assert.deepEqual(now.map((i) => i.InstanceId).sort(), before.map((i) => i.InstanceId).sort(), 'the same instances')
  for (const i of now) assert.deepEqual(tagsOf(i.Tags), {Name: 'dops-inplace-prod-pool', team: 'web', cost: '7', ...(i.InstanceId === before[0]!.InstanceId ? {backup: 'daily'} : {})})
  const g = (await group('dops-inplace-prod-pool'))!
  assert.deepEqual([g.MinSize, g.MaxSize, g.DesiredCapacity], [2, 6, 2])
  assert.deepEqual(tagsOf(g.Tags), {Name: 'dops-inplace-prod-pool', team: 'web', cost: '7'})
  assert.equal(g.LaunchTemplate?.Version, '$Latest')
  const lt = (await c.send(new m.DescribeLaunchTemplatesCommand({LaunchTemplateNames: ['dops-inplace-prod-pool']}))).LaunchTemplates![0]!
  assert.deepEqual([lt.DefaultVersionNumber, lt.LatestVersionNumber], [2, 2])
  const v2 = (await c.send(new m.DescribeLaunchTemplateVersionsCommand({LaunchTemplateName: 'dops-inplace-prod-pool', Versions: ['2']}))).LaunchTemplateVersions![0]!
  assert.deepEqual(tagsOf(v2.LaunchTemplateData!.TagSpecifications![0]!.Tags), {Name: 'dops-inplace-prod-pool', team: 'web', cost: '7'})
  const again = await planOf(dir)
  assert.equal(again.changed, false, JSON.stringify(again.changes))
  // an instance made by an older dops has no record of the keys it set: it gets one, shown once
  await c.send(new m.DeleteTagsCommand({Resources: [before[1]!.InstanceId!], Tags: [{Key: 'dops:tags'}]}))
  assert.deepEqual((await planOf(dir)).changes[0]!.updates, ['tag +dops:tags=cost,team (on 1 instance(s))'])
  assert.equal((await run(dir, ['env', 'up'])).code, 0)
  assert.equal((await instancesOf('inplace')).find((i) => i.InstanceId === before[1]!.InstanceId)!.Tags!.find((t) => t.Key === 'dops:tags')?.Value, 'cost,team')
  assert.equal((await planOf(dir)).changed, false)
  // the instances are not outdated: tags changed in place, the template's new version differs only in them
  assert.deepEqual(await (await provider()).outdated!(ctx('inplace', dir, {...spec, autoScaling: {min: 2, max: 6}, tags: {team: 'web', cost: 7}}), []), [])
  assert.equal((await run(dir, ['env', 'down', '--yes'])).code, 0)
})

test('an Auto Scaling group the plan no longer has is deleted with its launch template; its instances stay the group\'s', {skip}, async () => {
  const spec = {count: 2, image: ami, size: 't3.micro', autoScaling: {min: 1, max: 3}}
  const dir = project('noasg', spec)
  assert.equal((await run(dir, ['env', 'up'])).code, 0)
  const ids = (await instancesOf('noasg')).map((i) => i.InstanceId).sort()
  write(dir, 'noasg', {count: 2, image: ami, size: 't3.micro'})
  const plan = await planOf(dir)
  assert.deepEqual(plan.changes[0]!.updates, ["delete auto scaling group dops-noasg-prod-pool (its 2 instances stay as the group's instances)"])
  const up = await run(dir, ['env', 'up'])
  assert.equal(up.code, 0, up.stdout + up.stderr)
  assert.equal(await group('dops-noasg-prod-pool'), undefined, 'the Auto Scaling group is gone')
  const {m, c} = await ec2()
  assert.deepEqual((await c.send(new m.DescribeLaunchTemplatesCommand({Filters: [{Name: 'tag:dops:project', Values: ['noasg']}]}))).LaunchTemplates, [])
  assert.deepEqual((await instancesOf('noasg', ['running'])).map((i) => i.InstanceId).sort(), ids, 'the same instances run')
  assert.equal((await planOf(dir)).changed, false)
  // a template left by a removal interrupted after the group went: shown and deleted
  await c.send(new m.CreateLaunchTemplateCommand({LaunchTemplateName: 'dops-noasg-prod-pool', LaunchTemplateData: {ImageId: ami}}))
  assert.deepEqual((await planOf(dir)).changes[0]!.updates, ['delete launch template dops-noasg-prod-pool (no auto scaling group uses it)'])
  assert.equal((await run(dir, ['env', 'up'])).code, 0)
  assert.deepEqual((await c.send(new m.DescribeLaunchTemplatesCommand({}))).LaunchTemplates!.filter((t) => t.LaunchTemplateName === 'dops-noasg-prod-pool'), [])
  assert.equal((await planOf(dir)).changed, false)
  assert.equal((await run(dir, ['env', 'down', '--yes'])).code, 0)
  assert.deepEqual(await instancesOf('noasg'), [])
})

test('autoScaling added to a group with instances: the group is made around them (attached, none launched)', {skip}, async () => {
  const spec = {count: 2, image: ami, size: 't3.micro', tags: {team: 'shop'}}
  const dir = project('addasg', spec)
  assert.equal((await run(dir, ['env', 'up'])).code, 0)
  const ids = (await instancesOf('addasg')).map((i) => i.InstanceId).sort()
  write(dir, 'addasg', {...spec, autoScaling: {min: 1, max: 3}})
  const plan = await planOf(dir)
  assert.deepEqual(plan.changes[0]!.updates, ["create auto scaling group dops-addasg-prod-pool (min 1, max 3) with the group's 2 running instance(s) attached"])
  const up = await run(dir, ['env', 'up'])
  assert.equal(up.code, 0, up.stdout + up.stderr)
  const g = (await group('dops-addasg-prod-pool'))!
  assert.deepEqual(g.Instances!.map((i) => i.InstanceId).sort(), ids)
  assert.deepEqual([g.MinSize, g.MaxSize, g.DesiredCapacity], [1, 3, 2])
  assert.deepEqual(tagsOf(g.Tags), {Name: 'dops-addasg-prod-pool', team: 'shop'})
  assert.deepEqual((await instancesOf('addasg')).map((i) => i.InstanceId).sort(), ids, 'nothing launched')
  assert.equal((await planOf(dir)).changed, false)
  assert.equal((await run(dir, ['env', 'down', '--yes'])).code, 0)
  assert.deepEqual(await instancesOf('addasg'), [])
})

test('outdated: size (2C4G resolved), image and storage, read once for all the instances; an Auto Scaling group\'s old template version; new members from the newest', {skip}, async () => {
  const spy = await startFaultProxy(port, () => undefined)
  proxies.push(spy)
  const spec = {count: 3, image: ami, size: 't3.micro'}
  const dir = project('old', spec)
  assert.equal((await run(dir, ['env', 'up'])).code, 0)
  const aws = await provider()
  const live = await aws.discover(ctx('old', dir, spec))
  assert.equal(live.length, 3)
  assert.deepEqual(await aws.outdated!(ctx('old', dir, spec, spy.endpoint), live), [], 'nothing differs')
  const {m, c} = await ec2()
  const root = (await c.send(new m.DescribeImagesCommand({ImageIds: [ami]}))).Images![0]!.RootDeviceName!
  const size = (await c.send(new m.DescribeVolumesCommand({Filters: [{Name: 'attachment.instance-id', Values: [live[0]!.id]}]}))).Volumes![0]!.Size!
  const before = new Map([...spy.calls.entries()].map(([k, v]) => [k, v.length]))
  const out = await aws.outdated!(ctx('old', dir, {...spec, size: '2C4G', image: ami2, storage: [{size: '30G'}]}, spy.endpoint), live)
  const calls = (a: string) => (spy.calls.get(a)?.length ?? 0) - (before.get(a) ?? 0)
  assert.deepEqual([calls('DescribeInstances'), calls('DescribeVolumes')], [1, 1], 'one read for three instances')
  assert.deepEqual(out.map((o) => o.name).sort(), live.map((l) => l.name).sort())
  const [sizeWhy, imageWhy, storageWhy] = out[0]!.why
  const type = /^size t3\.micro -> (\S+)$/.exec(sizeWhy!)![1]!
  const info = (await c.send(new m.DescribeInstanceTypesCommand({InstanceTypes: [type as never]}))).InstanceTypes![0]!
  assert.ok(info.VCpuInfo!.DefaultVCpus! >= 2 && info.MemoryInfo!.SizeInMiB! >= 4096, `${type} fits 2C4G`)
  assert.equal(imageWhy, `image ${ami} -> ${ami2}`)
  assert.equal(storageWhy, `storage ${root} ${size} -> 30 GiB`)
  assert.equal((await run(dir, ['env', 'down', '--yes'])).code, 0)

  // an Auto Scaling group: a new size gives a new template version; the old members are outdated, new ones are not
  const aspec = {count: 2, image: ami, size: 't3.micro', autoScaling: {min: 1, max: 4}}
  const adir = project('oldasg', aspec)
  assert.equal((await run(adir, ['env', 'up'])).code, 0)
  const small = {...aspec, size: 't3.small'}
  const members = await aws.discover(ctx('oldasg', adir, aspec))
  assert.deepEqual(await aws.drift!(ctx('oldasg', adir, small)), ['launch template dops-oldasg-prod-pool: new version 2, the default (size t3.micro -> t3.small)'])
  assert.deepEqual(await aws.reconcile!(ctx('oldasg', adir, small)), ['launch template dops-oldasg-prod-pool: new version 2, the default (size t3.micro -> t3.small)'])
  const why = await aws.outdated!(ctx('oldasg', adir, small), members)
  assert.deepEqual(why.map((o) => o.why), [0, 1].map(() => ['size t3.micro -> t3.small', 'launch template version 1 -> 2']))
  const [fresh] = await aws.create(ctx('oldasg', adir, small), 1, members)
  const made = (await instancesOf('oldasg')).find((i) => i.InstanceId === fresh!.id)!
  assert.equal(made.InstanceType, 't3.small', 'new members come from the newest version')
  assert.deepEqual(await aws.outdated!(ctx('oldasg', adir, small), [fresh!]), [])
  await aws.destroy(ctx('oldasg', adir, small), [members[0]!])
  const g = (await group('dops-oldasg-prod-pool'))!
  assert.equal(g.DesiredCapacity, 2, 'terminated in the group with the desired capacity decremented')
  assert.deepEqual(g.Instances!.map((i) => i.InstanceId).sort(), [members[1]!.id, fresh!.id].sort())
  assert.deepEqual((await instancesOf('oldasg', ['terminated'])).map((i) => i.InstanceId), [members[0]!.id])
  assert.equal((await run(adir, ['env', 'down', '--yes'])).code, 0)
})

test('stopped instances: not alive, told apart by `stopped`, found by discover after a lost state, started again with their addresses', {skip}, async () => {
  const spec = {count: 2, image: ami, size: 't3.micro'}
  const dir = project('stop', spec)
  assert.equal((await run(dir, ['env', 'up'])).code, 0)
  const aws = await provider()
  const c0 = ctx('stop', dir, spec)
  const all = await aws.discover(c0)
  const {m, c} = await ec2()
  await c.send(new m.StopInstancesCommand({InstanceIds: [all[0]!.id]}))
  assert.equal((await instancesOf('stop', ['stopped'])).length, 1, 'EC2 has it stopped')
  assert.deepEqual((await aws.alive(c0, all)).map((i) => i.id), [all[1]!.id])
  assert.deepEqual((await aws.stopped!(c0, all)).map((i) => i.id), [all[0]!.id])
  assert.deepEqual((await aws.discover(c0)).map((i) => i.id).sort(), all.map((i) => i.id).sort(), 'a lost state finds the stopped one too')
  const started = await aws.start!(c0, [all[0]!])
  assert.equal(started[0]!.id, all[0]!.id)
  const now = (await instancesOf('stop', ['running'])).find((i) => i.InstanceId === all[0]!.id)!
  assert.equal(started[0]!.address, now.PublicIpAddress ?? now.PrivateIpAddress)
  assert.deepEqual(await aws.stopped!(c0, all), [])
  assert.equal((await aws.alive(c0, all)).length, 2)
  assert.equal((await run(dir, ['env', 'down', '--yes'])).code, 0)
})
