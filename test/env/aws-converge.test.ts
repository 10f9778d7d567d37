/**
 * The aws provider against moto (issue 11): down removes everything (Auto Scaling group changed outside dops, a
 * security group still in use), every referenced id is checked up front, the API's own errors and exit code, image
 * owners and architecture, the root device, volume options, firewall sources and ICMP, the user's Name tag, and one
 * instance-type lookup per region. Every step is inspected with the SDK, not only through dops's output.
 */
import assert from 'node:assert/strict'
import type {ChildProcess} from 'node:child_process'
import {mkdtempSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, before, test} from 'node:test'
import {dops} from '../helpers.js'
import {AWS_TEST_ENV, type FaultProxy, haveMoto, motoAt, startFaultProxy, startMoto} from './moto.js'

const {port, endpoint, ec2, image, asg} = motoAt(22000)
const awsEnv = AWS_TEST_ENV

let moto: ChildProcess | undefined
const proxies: FaultProxy[] = []
let ami: string
const skip = haveMoto ? false : "moto is not installed (pip install 'moto[server]')"

const tagged = (project: string) => [{Name: 'tag:dops:project', Values: [project]}]

/** Everything tagged for the project: instances not terminated, Auto Scaling groups, launch templates, security groups. */
async function remains(project: string): Promise<string[]> {
  const {m, c} = await ec2()
  const a = await asg()
  const inst = (await c.send(new m.DescribeInstancesCommand({Filters: [...tagged(project), {Name: 'instance-state-name', Values: ['pending', 'running', 'shutting-down', 'stopping', 'stopped']}]}))).Reservations!.flatMap((r) => r.Instances ?? [])
  const groups = (await a.c.send(new a.m.DescribeAutoScalingGroupsCommand({}))).AutoScalingGroups!.filter((g) => g.AutoScalingGroupName!.startsWith(`dops-${project}-`))
  const lts = (await c.send(new m.DescribeLaunchTemplatesCommand({}))).LaunchTemplates!.filter((t) => t.LaunchTemplateName!.startsWith(`dops-${project}-`))
  const sgs = (await c.send(new m.DescribeSecurityGroupsCommand({Filters: tagged(project)}))).SecurityGroups!
  return [...inst.map((i) => `instance ${i.InstanceId}`), ...groups.map((g) => `asg ${g.AutoScalingGroupName}`), ...lts.map((t) => `lt ${t.LaunchTemplateName}`), ...sgs.map((g) => `sg ${g.GroupName}`)]
}

function project(name: string, groups: string, provider = `{type: aws, region: us-east-1, endpoint: "${endpoint}"}`): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `dops-aws-${name}-`))
  writeFileSync(path.join(dir, 'dops.yml'), `version: 1\nproject: ${name}\nproviders:\n  aws: ${provider}\nenvironments:\n  prod:\n    groups:\n${groups}`)
  return dir
}
const run = (dir: string, args: string[], env: NodeJS.ProcessEnv = awsEnv) => dops(args, {cwd: dir, env})
const proxy = async (decide: Parameters<typeof startFaultProxy>[1]) => {
  const p = await startFaultProxy(port, decide)
  proxies.push(p)
  return p
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

test('env down after the Auto Scaling group grew outside dops removes the group, its instances, the launch template and the security groups', {skip}, async () => {
  const dir = project('grown', `      app:\n        provider: aws\n        instance: {count: 1, image: ${ami}, size: t3.micro, firewall: [{port: 22, from: [10.0.0.0/8]}]}\n      pool:\n        provider: aws\n        instance: {count: 2, image: ${ami}, size: t3.micro, autoScaling: {min: 1, max: 5}, firewall: [{port: 80, from: ["group:app"]}]}\n`)
  const up = await run(dir, ['env', 'up'])
  assert.equal(up.code, 0, up.stdout + up.stderr)
  const a = await asg()
  await a.c.send(new a.m.UpdateAutoScalingGroupCommand({AutoScalingGroupName: 'dops-grown-prod-pool', DesiredCapacity: 4}))
  for (let i = 0; i < 20 && (await a.c.send(new a.m.DescribeAutoScalingGroupsCommand({AutoScalingGroupNames: ['dops-grown-prod-pool']}))).AutoScalingGroups![0]!.Instances!.length < 4; i++) await new Promise((r) => setTimeout(r, 500))
  assert.equal((await remains('grown')).filter((r) => r.startsWith('instance')).length, 5, 'one plain instance and four in the group')
  const down = await run(dir, ['env', 'down', '--yes'])
  assert.equal(down.code, 0, down.stdout + down.stderr)
  assert.deepEqual(await remains('grown'), [])
})

test('security groups still in use (DependencyViolation) are retried until free; a group that stays in use fails env down naming it, and the next env down finishes', {skip}, async () => {
  const busy = await proxy((action, n) => (action === 'DeleteSecurityGroup' && n <= 3 ? {status: 400, code: 'DependencyViolation', message: 'resource sg has a dependent object'} : undefined))
  const dir = project('inuse', `      app:\n        provider: aws\n        instance: {count: 2, image: ${ami}, size: t3.micro, firewall: [{port: 443, from: [0.0.0.0/0]}]}\n`, `{type: aws, region: us-east-1, endpoint: "${busy.endpoint}"}`)
  assert.equal((await run(dir, ['env', 'up'])).code, 0)
  const down = await run(dir, ['env', 'down', '--yes'])
  assert.equal(down.code, 0, down.stdout + down.stderr)
  assert.equal(busy.faults.get('DeleteSecurityGroup'), 3)
  assert.deepEqual(await remains('inuse'), [])

  let stuck = true
  const never = await proxy((action) => (stuck && action === 'DeleteSecurityGroup' ? {status: 400, code: 'DependencyViolation', message: 'resource sg has a dependent object'} : undefined))
  const dir2 = project('stuck', `      app:\n        provider: aws\n        instance: {count: 1, image: ${ami}, size: t3.micro, firewall: [{port: 443, from: [0.0.0.0/0]}]}\n`, `{type: aws, region: us-east-1, endpoint: "${never.endpoint}", deleteTimeout: 3s}`)
  assert.equal((await run(dir2, ['env', 'up'])).code, 0)
  const t0 = Date.now()
  const failed = await run(dir2, ['env', 'down', '--yes'])
  assert.equal(failed.code, 23, failed.stdout + failed.stderr)
  assert.match(failed.stderr, /DeleteSecurityGroup sg-\w+ failed: DependencyViolation/)
  assert.doesNotMatch(failed.stderr, /\n\s+at /)
  assert.ok(Date.now() - t0 < 60_000, 'bounded by deleteTimeout')
  assert.deepEqual(await remains('stuck'), ['sg dops-stuck-prod-app'], 'the instance is gone, its security group is left and named')
  stuck = false
  const again = await run(dir2, ['env', 'down', '--yes'])
  assert.equal(again.code, 0, again.stdout + again.stderr)
  assert.deepEqual(await remains('stuck'), [])
})

test('every referenced id is checked before anything is made; all the missing ones are listed at once', {skip}, async () => {
  const dir = project('ids', `      app:\n        provider: aws\n        instance: {count: 1, image: ami-0123456789abcdef0, size: t3.micro, subnet: subnet-0123456789abcdef0, securityGroups: [sg-0123456789abcdef0], keyPair: nobody-has-this-key}\n      other:\n        provider: aws\n        instance: {count: 1, image: ${ami}, size: t3.micro}\n`)
  const r = await run(dir, ['env', 'up'])
  assert.equal(r.code, 2, r.stdout + r.stderr)
  for (const what of ['image `ami-0123456789abcdef0` does not exist', 'subnet subnet-0123456789abcdef0 does not exist', 'security group sg-0123456789abcdef0 does not exist', 'key pair `nobody-has-this-key` does not exist']) assert.ok(r.stderr.includes(what), `${what} in: ${r.stderr}`)
  assert.deepEqual(await remains('ids'), [], 'nothing was created, not even the valid group')
})

test('an API error of DescribeInstanceTypes is reported as it is, with the provider exit code; missing credentials get a hint', {skip}, async () => {
  const denied = await proxy((action) => (action === 'DescribeInstanceTypes' ? {status: 403, code: 'UnauthorizedOperation', message: 'You are not authorized to perform this operation.'} : undefined))
  const dir = project('denied', `      app:\n        provider: aws\n        instance: {count: 1, image: ${ami}, size: t3.micro}\n`, `{type: aws, region: us-east-1, endpoint: "${denied.endpoint}"}`)
  const r = await run(dir, ['env', 'up'])
  assert.equal(r.code, 23, r.stdout + r.stderr)
  assert.match(r.stderr, /DescribeInstanceTypes failed: UnauthorizedOperation: You are not authorized/)
  assert.doesNotMatch(r.stderr, /does not exist/)
  const home = mkdtempSync(path.join(os.tmpdir(), 'dops-aws-nocreds-'))
  const none = await run(dir, ['env', 'plan'], {HOME: home, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: '', AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'none'), AWS_CONFIG_FILE: path.join(home, 'none'), AWS_EC2_METADATA_DISABLED: 'true', AWS_REGION: 'us-east-1'})
  assert.equal(none.code, 23, none.stdout + none.stderr)
  assert.match(none.stderr, /hint: the AWS credentials are missing or invalid/)
  assert.ok(none.stderr.trim().split('\n').length <= 3, none.stderr)
})

test('name filters search the allowed owners for the instance type\'s architecture; the first volume goes to the image\'s root device', {skip}, async () => {
  const {m, c} = await ec2()
  // images of this account made from instances (moto's RegisterImage keeps no architecture): x86_64, then a newer arm64
  const arm = (await c.send(new m.DescribeImagesCommand({Filters: [{Name: 'architecture', Values: ['arm64']}]}))).Images![0]!.ImageId!
  const ubuntu = (await c.send(new m.DescribeImagesCommand({Owners: ['099720109477']}))).Images![0]!
  const snap = async (ImageId: string, InstanceType: string, Name: string) => {
    const i = (await c.send(new m.RunInstancesCommand({ImageId, InstanceType: InstanceType as never, MinCount: 1, MaxCount: 1}))).Instances![0]!.InstanceId!
    const id = (await c.send(new m.CreateImageCommand({InstanceId: i, Name}))).ImageId!
    await c.send(new m.TerminateInstancesCommand({InstanceIds: [i]}))
    return id
  }
  const x86 = await snap(ubuntu.ImageId!, 't3.micro', 'shop-base-1')
  await new Promise((r) => setTimeout(r, 1100))
  await snap(arm, 't4g.micro', 'shop-base-2')
  const root = (await c.send(new m.DescribeImagesCommand({ImageIds: [x86]}))).Images![0]!.RootDeviceName!
  assert.notEqual(root, '/dev/xvda', 'an image whose root is not the old default')
  const spy = await proxy(() => undefined)
  const dir = project('arch', `      app:\n        provider: aws\n        instance: {count: 1, image: "shop-base-*", size: t3.micro, storage: [{size: 20G}, {size: 50G, type: gp3, iops: 4000, throughput: 250, encrypted: true}]}\n`, `{type: aws, region: us-east-1, endpoint: "${spy.endpoint}"}`)
  const up = await run(dir, ['env', 'up'])
  assert.equal(up.code, 0, up.stdout + up.stderr)
  const owners = spy.calls.get('DescribeImages')!.map((p) => [...p.entries()].filter(([k]) => k.startsWith('Owner')).map(([, v]) => v)).find((o) => o.length)
  assert.deepEqual(owners, ['self', 'amazon', '099720109477', '136693071363'])
  const inst = (await c.send(new m.DescribeInstancesCommand({Filters: [...tagged('arch'), {Name: 'instance-state-name', Values: ['running']}]}))).Reservations!.flatMap((r) => r.Instances ?? [])
  assert.equal(inst[0]!.ImageId, x86, 'the x86_64 image for t3.micro, not the newer arm64 one')
  assert.deepEqual(inst[0]!.BlockDeviceMappings!.map((b) => b.DeviceName).sort(), [root, '/dev/xvdb'].sort())
  const vols = (await c.send(new m.DescribeVolumesCommand({VolumeIds: inst[0]!.BlockDeviceMappings!.map((b) => b.Ebs!.VolumeId!)}))).Volumes!
  const gp3 = vols.find((v) => v.Size === 50)!
  assert.deepEqual([gp3.VolumeType, gp3.Encrypted], ['gp3', true])
  // moto's RunInstances drops a volume's Iops and Throughput: what EC2 was asked for is read from the call itself
  const sent = Object.fromEntries([...spy.calls.get('RunInstances')![0]!.entries()].filter(([k]) => k.startsWith('BlockDeviceMapping.2.Ebs.')))
  assert.deepEqual([sent['BlockDeviceMapping.2.Ebs.Iops'], sent['BlockDeviceMapping.2.Ebs.Throughput'], sent['BlockDeviceMapping.2.Ebs.Encrypted']], ['4000', '250', 'true'])
  assert.equal(vols.find((v) => v.Size === 20)!.Attachments![0]!.Device, root)
  assert.equal((await run(dir, ['env', 'down', '--yes'])).code, 0)
})

test('volume options EC2 refuses are found before anything is made', {skip}, async () => {
  const dir = project('vols', `      app:\n        provider: aws\n        instance: {count: 1, image: ${ami}, size: t3.micro, storage: [{size: 20G, type: io1}, {size: 20G, type: gp2, iops: 3000, throughput: 250}]}\n`)
  const r = await run(dir, ['env', 'up'])
  assert.equal(r.code, 2, r.stderr)
  assert.match(r.stderr, /storage\[0\] \(io1\): io1 volumes need `iops`/)
  assert.match(r.stderr, /storage\[1\] \(gp2\): `iops` is only for io1, io2, gp3 volumes/)
  assert.match(r.stderr, /storage\[1\] \(gp2\): `throughput` is only for gp3 volumes/)
  assert.deepEqual(await remains('vols'), [])
})

test('a firewall rule needs `from` (a located error); ICMP rules allow every type; a user Name tag is kept', {skip}, async () => {
  const open = project('nofrom', `      app:\n        provider: aws\n        instance:\n          count: 1\n          image: ${ami}\n          firewall:\n            - {port: 22}\n`)
  const r = await run(open, ['env', 'plan'])
  assert.equal(r.code, 2, r.stderr)
  assert.match(r.stderr, /dops\.yml:14:\d+: environments\.prod\.groups\.app\.instance\.firewall\[0\]: missing required key `from`/)
  const dir = project('icmp', `      app:\n        provider: aws\n        instance:\n          count: 1\n          image: ${ami}\n          tags: {Name: storefront, team: shop}\n          firewall:\n            - {port: 0, protocol: icmp, from: [10.0.0.0/8]}\n            - {port: 443, from: [0.0.0.0/0]}\n`)
  const up = await run(dir, ['env', 'up'])
  assert.equal(up.code, 0, up.stdout + up.stderr)
  const {m, c} = await ec2()
  const sg = (await c.send(new m.DescribeSecurityGroupsCommand({Filters: [{Name: 'group-name', Values: ['dops-icmp-prod-app']}]}))).SecurityGroups![0]!
  const icmp = sg.IpPermissions!.find((p) => p.IpProtocol === 'icmp')!
  assert.deepEqual([icmp.FromPort, icmp.ToPort], [-1, -1])
  const plan = await run(dir, ['env', 'plan', '--json'])
  assert.equal(JSON.parse(plan.stdout).changed, false, plan.stdout)
  const inst = (await c.send(new m.DescribeInstancesCommand({Filters: [...tagged('icmp'), {Name: 'instance-state-name', Values: ['running']}]}))).Reservations!.flatMap((x) => x.Instances ?? [])
  assert.deepEqual(inst[0]!.Tags!.filter((t) => t.Key === 'Name').map((t) => t.Value), ['storefront'])
  assert.equal((await run(dir, ['env', 'down', '--yes'])).code, 0)
})

test('a size like 2C4G is resolved once per region and run, by the types of exactly that size, to the type the whole listing gives', {skip}, async () => {
  const spy = await proxy(() => undefined)
  const sizes = ['2C4G', '2C4G', '3C5G']
  const dir = project('sizes', ['a', 'b', 'c'].map((g, i) => `      ${g}:\n        provider: aws\n        instance: {count: 1, image: ${ami}, size: ${sizes[i]}}\n`).join(''), `{type: aws, region: us-east-1, endpoint: "${spy.endpoint}"}`)
  // the oracle: the smallest fit over every type of the region, listed with the SDK
  const {m, c} = await ec2()
  const all: Array<{name: string; vcpus: number; memoryMiB: number}> = []
  for (let token: string | undefined, i = 0; i < 100; i++) {
    const r = await c.send(new m.DescribeInstanceTypesCommand({NextToken: token}))
    all.push(...(r.InstanceTypes ?? []).map((t) => ({name: String(t.InstanceType), vcpus: t.VCpuInfo!.DefaultVCpus!, memoryMiB: t.MemoryInfo!.SizeInMiB!})))
    token = r.NextToken
    if (!token) break
  }
  const {pickInstanceType} = await import('../../src/providers/aws/size.js')
  // the whole listing is 1263 types in one answer, about 3 s of moto's CPU alone: on a machine whose CPUs other test
  // files (or other jobs) share, it has taken over 100 s, past the helper's default 120 s for a hung command
  const up = await dops(['env', 'up'], {cwd: dir, env: awsEnv, timeoutMs: 400_000})
  assert.equal(up.code, 0, up.stdout + up.stderr)
  const calls = spy.calls.get('DescribeInstanceTypes') ?? []
  // 2C4G: one filtered call for both groups; 3C5G: no type of exactly that size, so the listing (one page on moto)
  assert.equal(calls.filter((q) => q.has('Filter.1.Name')).length, 2, 'one filtered call per size')
  assert.equal(calls.filter((q) => !q.has('Filter.1.Name') && !q.has('InstanceType.1')).length, 1, 'one whole listing, for the size no type has exactly')
  const made = await c.send(new m.DescribeInstancesCommand({Filters: [...tagged('sizes'), {Name: 'instance-state-name', Values: ['running']}]}))
  const byGroup = new Map(made.Reservations!.flatMap((r) => r.Instances!).map((i) => [i.Tags!.find((t) => t.Key === 'dops:group')!.Value!, i.InstanceType!]))
  for (const [i, g] of ['a', 'b', 'c'].entries()) {
    const [v, mem] = sizes[i]!.match(/\d+/g)!.map(Number)
    assert.equal(byGroup.get(g), pickInstanceType(all, v!, mem!)!.name, `group ${g} (${sizes[i]})`)
  }
  assert.equal((await run(dir, ['env', 'down', '--yes'])).code, 0)
})

test('the provider reports what the environment\'s diff needs: Auto Scaling bounds, launch template fingerprint against the plan\'s, stopped instances', {skip}, async () => {
  const {awsProvider} = await import('../../src/providers/aws/provider.js')
  const spec = {count: 2, image: ami, size: 't3.micro', autoScaling: {min: 1, max: 4}, firewall: [{port: 22, from: ['10.0.0.0/8']}], tags: {team: 'shop'}}
  const dir = project('seen', `      pool:\n        provider: aws\n        instance: ${JSON.stringify(spec)}\n`)
  const up = await run(dir, ['env', 'up'])
  assert.equal(up.code, 0, up.stdout + up.stderr)
  const prev = {...process.env}
  Object.assign(process.env, awsEnv)
  try {
    const ctx = (s: Record<string, unknown>) => ({project: 'seen', env: 'prod', group: 'pool', projectDir: dir, spec: s, settings: {region: 'us-east-1', endpoint}})
    const a = await asg()
    const g = (await a.c.send(new a.m.DescribeAutoScalingGroupsCommand({AutoScalingGroupNames: ['dops-seen-prod-pool']}))).AutoScalingGroups![0]!
    const view = await awsProvider.inspect(ctx(spec))
    assert.deepEqual(view.autoScaling, {name: 'dops-seen-prod-pool', min: g.MinSize, max: g.MaxSize, desired: g.DesiredCapacity, instances: g.Instances!.map((i) => i.InstanceId)})
    assert.equal(view.launchTemplate?.fingerprint, view.wanted, 'the launch template is what the plan says')
    const bigger = await awsProvider.inspect(ctx({...spec, size: 't3.small'}))
    assert.notEqual(bigger.wanted, bigger.launchTemplate?.fingerprint, 'a new size needs a new launch template version')
    const {m, c} = await ec2()
    await c.send(new m.StopInstancesCommand({InstanceIds: [g.Instances![0]!.InstanceId!]}))
    assert.deepEqual((await awsProvider.inspect(ctx(spec))).stopped.map((i) => i.id), [g.Instances![0]!.InstanceId])
    assert.ok((await awsProvider.leftovers(ctx(spec))).length >= 4, 'instances, group, template, security group')
  } finally {
    for (const k of Object.keys(awsEnv)) if (prev[k] === undefined) delete process.env[k]
    else process.env[k] = prev[k]
  }
  const down = await run(dir, ['env', 'down', '--yes'])
  assert.equal(down.code, 0, down.stdout + down.stderr)
  assert.deepEqual(await remains('seen'), [], 'the stopped instance went too')
})
