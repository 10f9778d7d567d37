/**
 * The aws provider against a moto server started here (pip install 'moto[server]'): provisioning only, since moto's
 * instances cannot be reached by SSH (the SSH path is covered on local sandbox hosts).
 */
import assert from 'node:assert/strict'
import type {ChildProcess} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, before, test} from 'node:test'
import type {EnvReport} from '../../src/env/env-job.js'
import {dops, json} from '../helpers.js'
import {AWS_TEST_ENV, type Fault, type FaultProxy, haveMoto, motoAt, startFaultProxy as startMotoFaultProxy, startMoto} from './moto.js'

const {port, endpoint} = motoAt(21000)
const awsEnv = AWS_TEST_ENV
import {startFleet, type Fleet} from '../fleet/fleet.js'

// below Linux's ephemeral range (32768+), so no outgoing connection of the suite can hold it
let moto: ChildProcess | undefined
const proxies: FaultProxy[] = []
let fleet: Fleet | undefined
let project: string
let ami: string

const ec2 = async () => {
  const m = await import('@aws-sdk/client-ec2')
  return {m, c: new m.EC2Client({region: 'us-east-1', endpoint, credentials: {accessKeyId: 'testing', secretAccessKey: 'testing'}})}
}
const asg = async () => {
  const m = await import('@aws-sdk/client-auto-scaling')
  return {m, c: new m.AutoScalingClient({region: 'us-east-1', endpoint, credentials: {accessKeyId: 'testing', secretAccessKey: 'testing'}})}
}
async function running(group?: string): Promise<Array<{id: string; type: string; group: string}>> {
  const {m, c} = await ec2()
  const r = await c.send(new m.DescribeInstancesCommand({Filters: [{Name: 'tag:dops:project', Values: ['cloud']}, {Name: 'instance-state-name', Values: ['pending', 'running']}, ...(group ? [{Name: 'tag:dops:group', Values: [group]}] : [])]}))
  return (r.Reservations ?? []).flatMap((x) => x.Instances ?? []).map((i) => ({id: i.InstanceId!, type: String(i.InstanceType), group: i.Tags?.find((t) => t.Key === 'dops:group')?.Value ?? ''}))
}

function writePlan(image: string, extra = ''): void {
  writeFileSync(
    path.join(project, 'dops.yml'),
    `version: 1
project: cloud
providers:
  aws-test: {type: aws, region: us-east-1, endpoint: "${endpoint}", addressing: private}
environments:
  prod:
    groups:
      lb:
        provider: aws-test
        instance: {count: 1, image: ${image}, size: t3.micro}
      web:
        provider: aws-test
        dependsOn: [lb]
        instance:
          count: 2
          image: ${image}
          size: 2C4G
          storage: [{size: 20G, type: gp3}]
          firewall:
            - {port: 8080, from: ["group:lb"]}
            - {port: 22, from: [10.0.0.0/8]}
            - {port: 443, from: [0.0.0.0/0, "::/0"]}
      workers:
        provider: aws-test
        instance: {count: 2, image: ${image}, size: t3.small, autoScaling: {min: 1, max: 5}}
${extra}`,
  )
}
const run = (args: string[]) => dops(args, {cwd: project, env: awsEnv})

before(async () => {
  if (!haveMoto) return
  moto = await startMoto(port)
  project = mkdtempSync(path.join(os.tmpdir(), 'dops-aws-'))
  const {m, c} = await ec2()
  ami = (await c.send(new m.DescribeImagesCommand({}))).Images!.find((i) => i.ImageId && i.Name)!.ImageId!
})
after(async () => {
  moto?.kill('SIGKILL')
  for (const p of proxies) p.close()
  await fleet?.stop()
})
const skip = haveMoto ? false : "moto is not installed (pip install 'moto[server]')"

test('env up creates tagged instances, security groups with the plan\'s rules, and an Auto Scaling group', {skip}, async () => {
  writePlan(ami)
  const r = await run(['env', 'up', '--json'])
  assert.equal(r.code, 0, r.stdout + r.stderr)
  const all = await running()
  assert.deepEqual(['lb', 'web', 'workers'].map((g) => all.filter((i) => i.group === g).length), [1, 2, 2])
  const web = all.filter((i) => i.group === 'web')
  const {m, c} = await ec2()
  const types = await c.send(new m.DescribeInstanceTypesCommand({InstanceTypes: [web[0]!.type as never]}))
  assert.ok(types.InstanceTypes![0]!.VCpuInfo!.DefaultVCpus! >= 2 && types.InstanceTypes![0]!.MemoryInfo!.SizeInMiB! >= 4096, `2C4G resolved to ${web[0]!.type}`)
  const sgs = await c.send(new m.DescribeSecurityGroupsCommand({Filters: [{Name: 'group-name', Values: ['dops-cloud-prod-web', 'dops-cloud-prod-lb']}]}))
  const webSg = sgs.SecurityGroups!.find((g) => g.GroupName === 'dops-cloud-prod-web')!
  const lbSg = sgs.SecurityGroups!.find((g) => g.GroupName === 'dops-cloud-prod-lb')!
  const p8080 = webSg.IpPermissions!.find((p) => p.FromPort === 8080)!
  assert.equal(p8080.UserIdGroupPairs![0]!.GroupId, lbSg.GroupId, '8080 from the lb group\'s security group')
  assert.equal(webSg.IpPermissions!.find((p) => p.FromPort === 22)!.IpRanges![0]!.CidrIp, '10.0.0.0/8')
  const https = webSg.IpPermissions!.find((p) => p.FromPort === 443)!
  assert.deepEqual([https.IpRanges!.map((r) => r.CidrIp), https.Ipv6Ranges!.map((r) => r.CidrIpv6)], [['0.0.0.0/0'], ['::/0']], 'IPv6 blocks as IPv6 ranges')
  const a = await asg()
  const g = await a.c.send(new a.m.DescribeAutoScalingGroupsCommand({AutoScalingGroupNames: ['dops-cloud-prod-workers']}))
  assert.equal(g.AutoScalingGroups![0]!.DesiredCapacity, 2)
})

test('env plan shows no change after up; a lost state is recovered from the tags', {skip}, async () => {
  const plan = json<EnvReport>(await run(['env', 'plan', '--json']))
  assert.equal(plan.changed, false, JSON.stringify(plan.changes))
  rmSync(path.join(project, '.dops', 'state'), {recursive: true, force: true})
  const again = json<EnvReport>(await run(['env', 'plan', '--json']))
  assert.deepEqual(again.changes.map((c) => [c.group, c.keep, c.create]), [['lb', 1, 0], ['web', 2, 0], ['workers', 2, 0]])
  const up = json<EnvReport>(await run(['env', 'up', '--json']))
  assert.equal(up.changed, false)
  assert.equal((await running()).length, 5, 'nothing was created twice')
})

test('firewall rules follow the plan: env plan shows the drift, env up authorizes and revokes, then no change', {skip}, async () => {
  // the plan drops ssh from 10.0.0.0/8 and opens 9090 to the lb group and one block
  writeFileSync(path.join(project, 'dops.yml'), readFileSync(path.join(project, 'dops.yml'), 'utf8').replace('            - {port: 22, from: [10.0.0.0/8]}\n', '            - {port: 9090, from: ["group:lb", 192.168.0.0/16]}\n'))
  const plan = json<EnvReport>(await run(['env', 'plan', '--json']))
  const web = plan.changes.find((c) => c.group === 'web')!
  assert.deepEqual(web.updates.sort(), ['firewall +tcp 9090 from 192.168.0.0/16', 'firewall +tcp 9090 from group:lb', 'firewall -tcp 22 from 10.0.0.0/8'])
  assert.equal(plan.changed, true)
  assert.deepEqual([web.create, web.destroy.length], [0, 0], 'no host is touched for a firewall change')
  const up = await run(['env', 'up', '--json'])
  assert.equal(up.code, 0, up.stdout + up.stderr)
  assert.equal(json<EnvReport>(up).changes.find((c) => c.group === 'web')!.updates.length, 3)
  const {m, c} = await ec2()
  const sg = (await c.send(new m.DescribeSecurityGroupsCommand({Filters: [{Name: 'group-name', Values: ['dops-cloud-prod-web']}]}))).SecurityGroups![0]!
  const ports = sg.IpPermissions!.map((p) => p.FromPort).sort()
  assert.deepEqual(ports, [443, 8080, 9090], 'port 22 revoked, 9090 authorized')
  assert.equal(json<EnvReport>(await run(['env', 'plan', '--json'])).changed, false)
})

test('scale changes counts, for instances and for the Auto Scaling group', {skip}, async () => {
  const outside = await run(['scale', 'workers=9'])
  assert.equal(outside.code, 2)
  assert.match(outside.stderr, /group workers: 9 is outside its Auto Scaling range \(min 1, max 5\)/)
  const r = await run(['scale', 'web=3', 'workers=3', '--json'])
  assert.equal(r.code, 0, r.stdout)
  assert.equal((await running('web')).length, 3)
  const a = await asg()
  const g = await a.c.send(new a.m.DescribeAutoScalingGroupsCommand({AutoScalingGroupNames: ['dops-cloud-prod-workers']}))
  assert.equal(g.AutoScalingGroups![0]!.DesiredCapacity, 3)
  const down = await run(['scale', 'web=1', '--yes', '--json'])
  assert.equal(down.code, 0)
  assert.equal((await running('web')).length, 1)
})

test('env reconcile adopts an instance that appeared without dops (tagged, as an Auto Scaling replacement is)', {skip}, async () => {
  const {m, c} = await ec2()
  const tags = [{Key: 'dops:project', Value: 'cloud'}, {Key: 'dops:env', Value: 'prod'}, {Key: 'dops:group', Value: 'web'}]
  const made = await c.send(new m.RunInstancesCommand({ImageId: ami, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1, TagSpecifications: [{ResourceType: 'instance', Tags: tags}]}))
  const id = made.Instances![0]!.InstanceId!
  const r = json<EnvReport>(await run(['env', 'reconcile', '--json']))
  assert.equal(r.changes.find((x) => x.group === 'web')!.keep, 2)
  assert.ok(r.changes.every((x) => x.create === 0 && x.destroy.length === 0))
  const state = JSON.parse(readFileSync(path.join(project, '.dops/state/cloud-prod.json'), 'utf8')) as {groups: Record<string, {instances: Array<{id: string}>}>}
  assert.ok(state.groups.web!.instances.some((i) => i.id === id), 'the new instance is in the state')
})

test('an instance left by an interrupted env up (tagged, not in the state) is adopted by the next env up, not made again', {skip}, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dops-aws-stray-'))
  const plan = (count: number) => writeFileSync(path.join(dir, 'dops.yml'), `version: 1\nproject: stray\nproviders:\n  aws: {type: aws, region: us-east-1, endpoint: "${endpoint}"}\nenvironments:\n  prod:\n    groups:\n      app:\n        provider: aws\n        instance: {count: ${count}, image: ${ami}, size: t3.micro}\n`)
  const mine = async () => {
    const {m, c} = await ec2()
    const r = await c.send(new m.DescribeInstancesCommand({Filters: [{Name: 'tag:dops:project', Values: ['stray']}, {Name: 'instance-state-name', Values: ['pending', 'running']}]}))
    return (r.Reservations ?? []).flatMap((x) => x.Instances ?? []).map((i) => i.InstanceId!)
  }
  plan(2)
  assert.equal((await dops(['env', 'up'], {cwd: dir, env: awsEnv})).code, 0)
  // the plan asks for 3; a run made the third, then was killed before it recorded it
  plan(3)
  const {m, c} = await ec2()
  const tags = [{Key: 'dops:project', Value: 'stray'}, {Key: 'dops:env', Value: 'prod'}, {Key: 'dops:group', Value: 'app'}]
  await c.send(new m.RunInstancesCommand({ImageId: ami, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1, TagSpecifications: [{ResourceType: 'instance', Tags: tags}]}))
  const p = json<EnvReport>(await dops(['env', 'plan', '--json'], {cwd: dir, env: awsEnv}))
  assert.deepEqual([p.changes[0]!.keep, p.changes[0]!.create, p.changes[0]!.pending], [3, 0, 1])
  const up = await dops(['env', 'up', '--json'], {cwd: dir, env: awsEnv})
  assert.equal(up.code, 0, up.stdout + up.stderr)
  assert.equal((await mine()).length, 3, 'three instances, not four')
  assert.equal(json<EnvReport>(await dops(['env', 'plan', '--json'], {cwd: dir, env: awsEnv})).changed, false)
  assert.equal((await dops(['env', 'down', '--yes'], {cwd: dir, env: awsEnv})).code, 0)
  assert.deepEqual(await mine(), [])
})

test('an Auto Scaling group without count starts at its desired capacity (else its minimum)', {skip}, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dops-aws-asg-'))
  writeFileSync(path.join(dir, 'dops.yml'), `version: 1\nproject: pool\nproviders:\n  aws: {type: aws, region: us-east-1, endpoint: "${endpoint}"}\nenvironments:\n  prod:\n    groups:\n      a:\n        provider: aws\n        instance: {image: ${ami}, size: t3.micro, autoScaling: {min: 1, max: 4, desired: 3}}\n      b:\n        provider: aws\n        instance: {image: ${ami}, size: t3.micro, autoScaling: {min: 2, max: 4}}\n`)
  const plan = json<EnvReport>(await dops(['env', 'plan', '--json'], {cwd: dir, env: awsEnv}))
  assert.deepEqual(plan.changes.map((c) => `${c.group}:+${c.create}`), ['a:+3', 'b:+2'])
})

test('an impossible size, image or key pair fails before anything is created', {skip}, async () => {
  writePlan(ami, `  staging:\n    groups:\n      big:\n        provider: aws-test\n        instance: {count: 1, image: ${ami}, size: 512C9999G}\n      bad:\n        provider: aws-test\n        instance: {count: 1, image: no-such-image-*, size: t3.micro}\n  keyless:\n    groups:\n      app:\n        provider: aws-test\n        instance: {count: 1, image: ${ami}, size: t3.micro, keyPair: nobody-has-this-key}\n`)
  const before = (await running()).length
  const r = await run(['env', 'up', '-e', 'staging'])
  assert.notEqual(r.code, 0)
  assert.match(r.stderr, /no instance type has 512 vCPUs and 9999 GiB|no image matches name `no-such-image-\*`/)
  assert.equal((await running()).length, before)
  const keyless = await run(['env', 'up', '-e', 'keyless'])
  assert.equal(keyless.code, 2, keyless.stderr)
  assert.match(keyless.stderr, /group app: key pair `nobody-has-this-key` does not exist in this region/)
  assert.equal((await running()).length, before)
})

test('a failing RunInstances is reported with the API\'s error; instances made before the failure are recorded, never made twice', {skip}, async () => {
  // two subnets of one VPC: the second subnet's RunInstances hits the account's instance limit
  const {m, c} = await ec2()
  const vpc = (await c.send(new m.CreateVpcCommand({CidrBlock: '10.42.0.0/16'}))).Vpc!.VpcId!
  const [a, b] = await Promise.all(['10.42.1.0/24', '10.42.2.0/24'].map(async (CidrBlock, i) => (await c.send(new m.CreateSubnetCommand({VpcId: vpc, CidrBlock, AvailabilityZone: `us-east-1${'ab'[i]}`}))).Subnet!.SubnetId!))
  let limited = true
  const proxy = await startFaultProxy((action, n) => (limited && action === 'RunInstances' && n === 2 ? {status: 400, code: 'InstanceLimitExceeded', message: 'You have requested more instances (4) than your current instance limit of 2 allows.'} : undefined))
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dops-aws-limit-'))
  writeFileSync(path.join(dir, 'dops.yml'), `version: 1\nproject: limited\nproviders:\n  aws: {type: aws, region: us-east-1, endpoint: "${proxy.endpoint}"}\nenvironments:\n  prod:\n    groups:\n      app:\n        provider: aws\n        instance: {count: 4, image: ${ami}, size: t3.micro, subnets: [${a}, ${b}]}\n`)
  const mine = async () => {
    const r = await c.send(new m.DescribeInstancesCommand({Filters: [{Name: 'tag:dops:project', Values: ['limited']}, {Name: 'instance-state-name', Values: ['pending', 'running']}]}))
    return (r.Reservations ?? []).flatMap((x) => x.Instances ?? [])
  }
  const r = await dops(['env', 'up'], {cwd: dir, env: awsEnv})
  assert.notEqual(r.code, 0)
  assert.match(r.stderr, /aws \(group app\): RunInstances failed: InstanceLimitExceeded: You have requested more instances/)
  assert.match(r.stderr, /2 instance\(s\) created before the failure are recorded/)
  assert.doesNotMatch(r.stderr, /\n\s+at /)
  assert.equal((await mine()).length, 2)
  const plan = json<EnvReport>(await dops(['env', 'plan', '--json'], {cwd: dir, env: awsEnv}))
  assert.deepEqual([plan.changes[0]!.keep, plan.changes[0]!.create], [2, 2], 'the two made are kept, two are still to create')
  limited = false
  const again = await dops(['env', 'up', '--json'], {cwd: dir, env: awsEnv})
  assert.equal(again.code, 0, again.stdout + again.stderr)
  const all = await mine()
  assert.equal(all.length, 4, 'four, not six')
  assert.deepEqual([a, b].map((s) => all.filter((i) => i.SubnetId === s).length), [2, 2], 'spread over both subnets')
  assert.equal((await dops(['env', 'down', '--yes'], {cwd: dir, env: awsEnv})).code, 0)
})

test('subnets of a VPC: the group\'s security group is made in that VPC, extra security groups are attached; a missing subnet fails before anything is created', {skip}, async () => {
  const {m, c} = await ec2()
  const vpc = (await c.send(new m.CreateVpcCommand({CidrBlock: '10.43.0.0/16'}))).Vpc!.VpcId!
  const sub = (await c.send(new m.CreateSubnetCommand({VpcId: vpc, CidrBlock: '10.43.1.0/24'}))).Subnet!.SubnetId!
  const extra = (await c.send(new m.CreateSecurityGroupCommand({GroupName: 'corp-monitoring', Description: 'existing', VpcId: vpc}))).GroupId!
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dops-aws-vpc-'))
  const write = (subnets: string) => writeFileSync(path.join(dir, 'dops.yml'), `version: 1\nproject: invpc\nproviders:\n  aws: {type: aws, region: us-east-1, endpoint: "${endpoint}"}\nenvironments:\n  prod:\n    groups:\n      app:\n        provider: aws\n        instance: {count: 1, image: ${ami}, size: t3.micro, subnets: [${subnets}], securityGroups: [${extra}], firewall: [{port: 443, from: [0.0.0.0/0]}]}\n`)
  write('subnet-0123456789abcdef0')
  const bad = await dops(['env', 'up'], {cwd: dir, env: awsEnv})
  assert.equal(bad.code, 2, bad.stderr)
  assert.match(bad.stderr, /group app: .*subnet-0123456789abcdef0/)
  const sgs = await c.send(new m.DescribeSecurityGroupsCommand({Filters: [{Name: 'group-name', Values: ['dops-invpc-prod-app']}]}))
  assert.equal(sgs.SecurityGroups!.length, 0, 'nothing was created')
  write(sub)
  const up = await dops(['env', 'up'], {cwd: dir, env: awsEnv})
  assert.equal(up.code, 0, up.stdout + up.stderr)
  const own = (await c.send(new m.DescribeSecurityGroupsCommand({Filters: [{Name: 'group-name', Values: ['dops-invpc-prod-app']}]}))).SecurityGroups!
  assert.deepEqual(own.map((g) => g.VpcId), [vpc], 'in the subnet\'s VPC, not the default one')
  const inst = (await c.send(new m.DescribeInstancesCommand({Filters: [{Name: 'tag:dops:project', Values: ['invpc']}, {Name: 'instance-state-name', Values: ['running']}]}))).Reservations!.flatMap((x) => x.Instances ?? [])
  assert.equal(inst[0]!.SubnetId, sub)
  assert.deepEqual(inst[0]!.SecurityGroups!.map((g) => g.GroupId).sort(), [own[0]!.GroupId!, extra].sort())
  assert.equal((await dops(['env', 'down', '--yes'], {cwd: dir, env: awsEnv})).code, 0)
})

test('env down removes everything it made: instances, Auto Scaling group, security groups', {skip}, async () => {
  writePlan(ami)
  const r = await run(['env', 'down', '--yes', '--json'])
  assert.equal(r.code, 0, r.stdout + r.stderr)
  assert.deepEqual(await running(), [])
  const a = await asg()
  const g = await a.c.send(new a.m.DescribeAutoScalingGroupsCommand({AutoScalingGroupNames: ['dops-cloud-prod-workers']}))
  assert.equal(g.AutoScalingGroups!.length, 0)
  const {m, c} = await ec2()
  const sgs = await c.send(new m.DescribeSecurityGroupsCommand({Filters: [{Name: 'tag:dops:project', Values: ['cloud']}, {Name: 'tag:dops:env', Values: ['prod']}]}))
  assert.equal(sgs.SecurityGroups!.length, 0)
  assert.equal((await c.send(new m.DescribeSecurityGroupsCommand({Filters: [{Name: 'tag:dops:project', Values: ['cloud']}]}))).SecurityGroups!.length, 0)
})

/** a fault proxy in front of this file's moto, closed after the tests */
async function startFaultProxy(decide: (action: string, n: number) => Fault | undefined): Promise<FaultProxy> {
  const p = await startMotoFaultProxy(port, decide)
  proxies.push(p)
  return p
}

test('throttled API calls are retried: env up and down succeed through RequestLimitExceeded answers', {skip}, async () => {
  // the first call of every action, and the first three RunInstances calls, get EC2's throttling error
  const {endpoint: slow, faults: throttled} = await startFaultProxy((action, n) => (n === 1 || (action === 'RunInstances' && n <= 3) ? {status: 503, code: 'RequestLimitExceeded', message: 'Request limit exceeded.'} : undefined))
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dops-aws-throttle-'))
  writeFileSync(path.join(dir, 'dops.yml'), `version: 1\nproject: busy\nproviders:\n  aws: {type: aws, region: us-east-1, endpoint: "${slow}"}\nenvironments:\n  prod:\n    groups:\n      app:\n        provider: aws\n        instance: {count: 2, image: ${ami}, size: 1C1G, firewall: [{port: 443, from: [0.0.0.0/0]}]}\n`)
  const up = await dops(['env', 'up', '--json'], {cwd: dir, env: awsEnv})
  assert.equal(up.code, 0, up.stdout + up.stderr)
  assert.equal(throttled.get('RunInstances'), 3, 'RunInstances was throttled three times and retried')
  assert.ok(throttled.size >= 5, `every action was throttled once: ${[...throttled.keys()].join(', ')}`)
  const {m, c} = await ec2()
  const mine = await c.send(new m.DescribeInstancesCommand({Filters: [{Name: 'tag:dops:project', Values: ['busy']}, {Name: 'instance-state-name', Values: ['pending', 'running']}]}))
  assert.equal((mine.Reservations ?? []).flatMap((r) => r.Instances ?? []).length, 2, 'exactly the planned instances: no retry created a duplicate')
  const down = await dops(['env', 'down', '--yes'], {cwd: dir, env: awsEnv})
  assert.equal(down.code, 0, down.stdout + down.stderr)
})

test('one environment across providers: static hosts hear of the aws group\'s instances joining and leaving', {skip}, async () => {
  fleet = await startFleet({count: 1, prefix: 'aw'})
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dops-aws-mixed-'))
  writeFileSync(
    path.join(dir, 'dops.yml'),
    `version: 1
project: hybrid
ssh: {config: ${fleet.sshConfig}}
providers:
  cloud: {type: aws, region: us-east-1, endpoint: "${endpoint}", addressing: private}
environments:
  prod:
    groups:
      edge:
        hosts: [aw01]
      web:
        provider: cloud
        instance: {count: 2, image: ${ami}, size: t3.micro}
        on:
          hostsJoined: [{group: edge, run: 'echo "$DOPS_EVENT $DOPS_HOSTS" >> /srv/members.log'}]
          hostsLeft: [{group: edge, run: 'echo "$DOPS_EVENT $DOPS_HOSTS" >> /srv/members.log'}]
`,
  )
  const members = () => readFileSync(path.join(fleet!.hosts[0]!.fsDir, 'srv/members.log'), 'utf8').trim().split('\n')
  const privateIps = async () => {
    const {m, c} = await ec2()
    const r = await c.send(new m.DescribeInstancesCommand({Filters: [{Name: 'tag:dops:project', Values: ['hybrid']}, {Name: 'instance-state-name', Values: ['pending', 'running']}]}))
    return (r.Reservations ?? []).flatMap((x) => x.Instances ?? []).map((i) => i.PrivateIpAddress!).sort()
  }
  const up = await dops(['env', 'up', '--json'], {cwd: dir, env: awsEnv})
  assert.equal(up.code, 0, up.stdout + up.stderr)
  const r = json<EnvReport>(up)
  assert.deepEqual(r.changes.map((c) => `${c.group}:${c.provider}:${c.keep}+${c.create}`), ['edge:static:1+0', 'web:cloud:0+2'])
  const ips = await privateIps()
  assert.equal(ips.length, 2)
  assert.deepEqual(members().at(-1)!.split(' ').slice(1).sort(), ips, 'the static host got the instances\' private addresses')
  assert.equal((await dops(['scale', 'web=3'], {cwd: dir, env: awsEnv})).code, 0)
  assert.deepEqual(members().at(-1)!.split(' ').slice(1).sort(), await privateIps())
  assert.equal((await dops(['scale', 'web=1', '--yes'], {cwd: dir, env: awsEnv})).code, 0)
  const one = await privateIps()
  assert.deepEqual(members().at(-1), `hostsLeft ${one[0]}`)
  const down = await dops(['env', 'down', '--yes', '--json'], {cwd: dir, env: awsEnv})
  assert.equal(down.code, 0, down.stdout + down.stderr)
  assert.deepEqual(json<EnvReport>(down).changes.map((c) => c.group), ['web'], 'the static group is never destroyed')
  assert.equal(members().at(-1), 'hostsLeft')
  assert.deepEqual(await privateIps(), [])
})

test('a shared state in S3: a second checkout sees what the first created; the lock stops a concurrent command and a stale one is taken over', {skip}, async () => {
  const s3m = await import('@aws-sdk/client-s3')
  const s3 = new s3m.S3Client({region: 'us-east-1', endpoint, forcePathStyle: true, credentials: {accessKeyId: 'testing', secretAccessKey: 'testing'}})
  await s3.send(new s3m.CreateBucketCommand({Bucket: 'dops-team-state'}))
  const plan = `version: 1\nproject: shared\nstate: {backend: s3, bucket: dops-team-state, endpoint: "${endpoint}"}\nproviders:\n  aws: {type: aws, region: us-east-1, endpoint: "${endpoint}"}\nenvironments:\n  prod:\n    groups:\n      app:\n        provider: aws\n        instance: {count: 2, image: ${ami}, size: t3.micro}\n`
  const [laptop, ci] = [0, 1].map(() => {
    const d = mkdtempSync(path.join(os.tmpdir(), 'dops-aws-shared-'))
    writeFileSync(path.join(d, 'dops.yml'), plan)
    return d
  })
  const up = await dops(['env', 'up', '--json'], {cwd: laptop!, env: awsEnv})
  assert.equal(up.code, 0, up.stdout + up.stderr)
  const obj = await s3.send(new s3m.GetObjectCommand({Bucket: 'dops-team-state', Key: 'dops/shared/prod.json'}))
  const state = JSON.parse(await obj.Body!.transformToString()) as {groups: Record<string, {instances: unknown[]}>}
  assert.equal(state.groups.app!.instances.length, 2)
  assert.equal(existsSync(path.join(laptop!, '.dops/state')), false, 'nothing kept locally')
  const seen = json<EnvReport>(await dops(['env', 'plan', '--json'], {cwd: ci!, env: awsEnv}))
  assert.equal(seen.changed, false, 'the other checkout sees the same environment')
  // a command holding the lock elsewhere: refused with who holds it
  const lock = (expiresAt: Date, owner = 'alice@build-7', pid = 4242) => s3.send(new s3m.PutObjectCommand({Bucket: 'dops-team-state', Key: 'dops/shared/prod.lock', Body: JSON.stringify({owner, pid, createdAt: new Date().toISOString(), expiresAt: expiresAt.toISOString()})}))
  await lock(new Date(Date.now() + 600_000))
  const refused = await dops(['scale', 'app=3'], {cwd: ci!, env: awsEnv})
  assert.equal(refused.code, 22, refused.stdout + refused.stderr)
  assert.match(refused.stderr, /locked by alice@build-7 \(pid 4242\)/)
  // alice's job is known to be dead: env unlock says whose lock it removes, and needs --yes outside a terminal
  const ask = await dops(['env', 'unlock'], {cwd: ci!, env: awsEnv})
  assert.equal(ask.code, 2, ask.stderr)
  assert.match(ask.stderr, /removes the lock of s3:\/\/dops-team-state\/dops\/shared\/prod\.json, held by alice@build-7 \(pid 4242\).*run again with --yes/)
  const unlocked = json<{removed?: string}>(await dops(['env', 'unlock', '--yes', '--json'], {cwd: ci!, env: awsEnv}))
  assert.match(unlocked.removed ?? '', /^alice@build-7/)
  assert.equal(json<{removed?: string}>(await dops(['env', 'unlock', '--yes', '--json'], {cwd: ci!, env: awsEnv})).removed, undefined, 'free now')
  // a holder on this machine whose process is gone (a killed dops): taken over at once, lease or not
  await lock(new Date(Date.now() + 600_000), `${os.userInfo().username}@${os.hostname()}`, 2 ** 22 + 12345)
  const mine = await dops(['env', 'plan'], {cwd: ci!, env: awsEnv})
  assert.equal(mine.code, 0, 'env plan does not lock')
  const retaken = await dops(['scale', 'app=2'], {cwd: ci!, env: awsEnv})
  assert.equal(retaken.code, 0, retaken.stdout + retaken.stderr)
  // its holder died: the lease ran out, the lock is taken over, and released after
  await lock(new Date(Date.now() - 1000))
  const scaled = await dops(['scale', 'app=3', '--json'], {cwd: ci!, env: awsEnv})
  assert.equal(scaled.code, 0, scaled.stdout + scaled.stderr)
  await assert.rejects(s3.send(new s3m.HeadObjectCommand({Bucket: 'dops-team-state', Key: 'dops/shared/prod.lock'})), 'the lock is released')
  assert.equal(json<EnvReport>(await dops(['env', 'plan', '--json'], {cwd: laptop!, env: awsEnv})).changes[0]!.keep, 3)
  const down = await dops(['env', 'down', '--yes'], {cwd: laptop!, env: awsEnv})
  assert.equal(down.code, 0, down.stdout + down.stderr)
})
