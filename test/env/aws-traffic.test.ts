/**
 * Deploy traffic control through an ELBv2 target group, on moto: aws instances made by `env up` in a VPC whose subnet
 * is the test fleet's loopback /24 (moto gives instances .4, .5, ... in order; fleet host i listens on .i+2), so the
 * hosts answer SSH. The oracle is moto's DescribeTargetHealth, read while a host waits in BeforeAllowTraffic (its hook
 * holds until the test has looked), and after each command.
 */
import assert from 'node:assert/strict'
import type {ChildProcess} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, before, test} from 'node:test'
import type {DeployReport} from '../../src/deploy/deploy-job.js'
import {resourceScope} from '../../src/deploy/traffic.js'
import type {EnvReport} from '../../src/env/env-job.js'
import {parsePlan} from '../../src/plan/load.js'
import {lbName, targetGroupName} from '../../src/providers/aws/elb-names.js'
import {followTargets} from '../../src/providers/aws/targets.js'
import {sandboxUnavailable} from '../../src/providers/local/sandbox.js'
import type {EnvState} from '../../src/state/local-file.js'
import {startFleet, type Fleet} from '../fleet/fleet.js'
import {dops, json} from '../helpers.js'
import {AWS_TEST_ENV, haveMoto, motoAt, startMoto, TEST_CREDS} from './moto.js'
import {startRewriteProxy, targetStates, type RewriteProxy} from './rewrite-proxy.js'

const {port, endpoint, ec2, image} = motoAt(17000)
const skip = !haveMoto ? "moto is not installed (pip install 'moto[server]')" : (sandboxUnavailable() ?? false)
const PROJECT = 'trafficaws'
let moto: ChildProcess | undefined
let proxy: RewriteProxy | undefined
let fleet: Fleet | undefined
let dir: string
/** the test's switches: DescribeTargetHealth by id says `draining`, or `unhealthy` instead of healthy, while set */
let drainForever = false
let neverHealthy = false
Object.assign(process.env, AWS_TEST_ENV)
const run = (args: string[]) => dops(args, {cwd: dir, env: AWS_TEST_ENV, timeoutMs: 300_000})

const elb = async () => {
  const m = await import('@aws-sdk/client-elastic-load-balancing-v2')
  return {m, c: new m.ElasticLoadBalancingV2Client({region: 'us-east-1', endpoint, credentials: TEST_CREDS})}
}
let tgArn = ''
/** once the env wiring of load balancers is merged, env up makes them; until then the test does, under dops's names */
let wired = false
const findTgArn = async () => {
  const {m, c} = await elb()
  return (await c.send(new m.DescribeTargetGroupsCommand({Names: [targetGroupName(PROJECT, 'prod', 'web', 'web-80')]}))).TargetGroups![0]!.TargetGroupArn!
}
/** the instance ids moto lists as healthy in the target group (straight from moto, not through the proxy) */
async function healthy(): Promise<string[]> {
  const {m, c} = await elb()
  const r = await c.send(new m.DescribeTargetHealthCommand({TargetGroupArn: tgArn}))
  return (r.TargetHealthDescriptions ?? []).filter((d) => d.TargetHealth?.State === 'healthy').map((d) => d.Target!.Id!).sort()
}
const state = (): EnvState => JSON.parse(readFileSync(path.join(dir, `.dops/state/${PROJECT}-prod.json`), 'utf8')) as EnvState
const members = () => state().groups.web!.instances
const fleetHostOf = (address: string) => fleet!.hosts.find((h) => h.address === address)!

function writeApp(version: string): void {
  writeFileSync(path.join(dir, 'app/site/index.html'), `${version}\n`)
}

before(async () => {
  if (skip) return
  moto = await startMoto(port)
  proxy = await startRewriteProxy(port, (action, params, body) => {
    if (action !== 'DescribeTargetHealth' || !params.get('Targets.member.1.Id')) return undefined
    if (drainForever) return targetStates(body, 'draining')
    if (neverHealthy && body.includes('<State>healthy</State>')) return targetStates(body, 'unhealthy', 'Target.ResponseCodeMismatch')
    return undefined
  })
  fleet = await startFleet({count: 6, prefix: 'tr'})
  const slot = fleet.hosts[0]!.address.split('.')[2]
  dir = mkdtempSync(path.join(os.tmpdir(), 'dops-aws-traffic-'))
  // the network and the load balancer (made with the SDK under dops's names until the env wiring makes them)
  const {m, c} = await ec2()
  const vpc = (await c.send(new m.CreateVpcCommand({CidrBlock: `127.0.${slot}.0/24`}))).Vpc!.VpcId!
  const subnet = (await c.send(new m.CreateSubnetCommand({VpcId: vpc, CidrBlock: `127.0.${slot}.0/24`, AvailabilityZone: 'us-east-1a'}))).Subnet!.SubnetId!
  const ami = await image()
  wired = (await import('../../src/env/resources-list.js')).envResources.some((r) => r.key === 'loadBalancers')
  if (!wired) {
    const e = await elb()
    const lb = (await e.c.send(new e.m.CreateLoadBalancerCommand({Name: lbName(PROJECT, 'prod', 'web'), Subnets: [subnet], Type: 'application'}))).LoadBalancers![0]!
    const tg = (await e.c.send(new e.m.CreateTargetGroupCommand({Name: targetGroupName(PROJECT, 'prod', 'web', 'web-80'), Protocol: 'HTTP', Port: 80, VpcId: vpc, TargetType: 'instance'}))).TargetGroups![0]!
    await e.c.send(new e.m.CreateListenerCommand({LoadBalancerArn: lb.LoadBalancerArn!, Protocol: 'HTTP', Port: 80, DefaultActions: [{Type: 'forward', TargetGroupArn: tg.TargetGroupArn!}]}))
  }

  mkdirSync(path.join(dir, 'app/site'), {recursive: true})
  mkdirSync(path.join(dir, 'app/scripts'))
  writeFileSync(path.join(dir, 'app/appspec.yml'), 'version: 0.0\nos: linux\nfiles:\n  - source: site\n    destination: /srv/site\nhooks:\n  BeforeAllowTraffic:\n    - {location: scripts/hold.sh, timeout: 120}\n')
  // while /srv/hold exists, wait (bounded) for the test to look at the target group and say go
  writeFileSync(path.join(dir, 'app/scripts/hold.sh'), '#!/bin/sh\n[ -f /srv/hold ] || exit 0\ntouch /srv/at-allow\ni=0\nwhile [ ! -f /srv/go ] && [ $i -lt 900 ]; do sleep 0.1; i=$((i+1)); done\nrm -f /srv/go /srv/at-allow\n')
  writeApp('v1')
  writeFileSync(
    path.join(dir, 'dops.yml'),
    `version: 1
project: ${PROJECT}
ssh: {config: ${fleet.sshConfig}}
providers:
  cloud: {type: aws, region: us-east-1, endpoint: "${proxy.endpoint}", addressing: private}
apps:
  web:
    source: ./app
    strategy: {preset: OneAtATime}
    traffic: {targetGroup: web-80, timeout: 3s}
environments:
  prod:
    loadBalancers:
      web:
        subnets: [${subnet}]
        listeners: [{port: 80, protocol: HTTP, targets: web-80}]
        targetGroups:
          web-80: {group: web, port: 80, deregistrationDelay: 2s}
    groups:
      web:
        provider: cloud
        apps: [web]
        instance: {count: 3, image: ${ami}, size: t3.micro, subnet: ${subnet}}
`,
  )
})
after(async () => {
  if (dir && existsSync(path.join(dir, 'dops.yml'))) await run(['env', 'down', '--yes']).catch(() => undefined)
  await fleet?.stop()
  proxy?.close()
  moto?.kill('SIGKILL')
  if (dir) rmSync(dir, {recursive: true, force: true})
})

test('env up deploys through the target group: every ready instance ends up registered and healthy', {skip}, async () => {
  const up = await run(['env', 'up', '--json'])
  assert.equal(up.code, 0, up.stdout + up.stderr)
  assert.equal(json<EnvReport>(up).exitCode, 0)
  tgArn = await findTgArn()
  const ids = members().map((i) => i.id).sort()
  assert.equal(ids.length, 3)
  assert.deepEqual(await healthy(), ids, 'AllowTraffic registered each host once it ran the app')
  const plan = await run(['deploy', '-a', 'web', '--plan'])
  assert.equal(plan.code, 0, plan.stdout + plan.stderr)
  assert.match(plan.stdout, /; traffic: target group web-80 \(load balancer web\)\n/)
})

test('a rolling deploy takes each batch out of the target group and puts it back: the others stay in', {skip}, async () => {
  writeApp('v2')
  const hosts = members()
  for (const i of hosts) writeFileSync(path.join(fleetHostOf(i.address).fsDir, 'srv/hold'), '')
  const seen: Array<{host: string; registered: string[]}> = []
  let deployed = false
  const deploy = run(['deploy', '-a', 'web', '--json']).finally(() => (deployed = true))
  // while a host waits in BeforeAllowTraffic, what does the target group hold?
  const deadline = Date.now() + 240_000
  while (!deployed && Date.now() < deadline) {
    for (const i of hosts) {
      const srv = path.join(fleetHostOf(i.address).fsDir, 'srv')
      if (!existsSync(path.join(srv, 'at-allow')) || existsSync(path.join(srv, 'go'))) continue
      seen.push({host: i.id, registered: await healthy()})
      writeFileSync(path.join(srv, 'go'), '')
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  const r = await deploy
  for (const i of hosts) rmSync(path.join(fleetHostOf(i.address).fsDir, 'srv/hold'), {force: true})
  assert.equal(r.code, 0, r.stdout + r.stderr)
  const report = json<DeployReport>(r)
  assert.equal(report.status, 'succeeded')
  assert.equal(report.plan.batches.length, 3, 'one host per batch')
  assert.match(report.plan.trafficControl ?? '', /^target group web-80 \(load balancer web\)$/)
  const all = hosts.map((i) => i.id).sort()
  assert.deepEqual(seen.map((s) => s.host).sort(), all, 'every host was seen waiting before AllowTraffic, once')
  for (const s of seen) assert.deepEqual(s.registered, all.filter((id) => id !== s.host), `while ${s.host} was being deployed it alone was out of the target group`)
  assert.deepEqual(await healthy(), all, 'every host is back in at the end')
  for (const i of hosts) assert.equal(readFileSync(path.join(fleetHostOf(i.address).fsDir, 'srv/site/index.html'), 'utf8'), 'v2\n')
})

test('a deregistration that stays draining past traffic.timeout fails the host, naming it, and puts it back', {skip}, async () => {
  writeApp('v3')
  drainForever = true
  const r = await run(['deploy', '-a', 'web', '--json']).finally(() => (drainForever = false))
  assert.notEqual(r.code, 0, r.stdout)
  const report = json<DeployReport>(r)
  const failed = report.results.filter((x) => x.status === 'failed')
  assert.equal(failed.length, 1, r.stdout)
  const host = members().find((i) => i.name === failed[0]!.host)!
  assert.match(failed[0]!.error ?? '', new RegExp(`host ${host.name} \\(${host.id}\\) is still draining .*target group web-80 of load balancer web \\(${targetGroupName(PROJECT, 'prod', 'web', 'web-80')}\\) after 3s \\(traffic.timeout\\); registered again`))
  assert.ok((proxy!.rewritten.get('DescribeTargetHealth') ?? 0) >= 2, 'dops kept asking while it said draining')
  assert.deepEqual(await healthy(), members().map((i) => i.id).sort(), 'the host that could not be drained is registered again; no other was touched')
  assert.equal(readFileSync(path.join(fleetHostOf(host.address).fsDir, 'srv/site/index.html'), 'utf8'), 'v2\n', 'it still runs the previous revision')
})

test('a host that never turns healthy after AllowTraffic fails the deployment, naming it and its state', {skip}, async () => {
  writeApp('v4')
  neverHealthy = true
  const r = await run(['deploy', '-a', 'web', '--json', '--no-rollback']).finally(() => (neverHealthy = false))
  assert.notEqual(r.code, 0, r.stdout)
  const report = json<DeployReport>(r)
  const failed = report.results.filter((x) => x.status === 'failed')
  assert.equal(failed.length, 1, r.stdout)
  const host = members().find((i) => i.name === failed[0]!.host)!
  assert.match(failed[0]!.error ?? '', new RegExp(`host ${host.name} \\(${host.id}\\) is unhealthy \\(Target.ResponseCodeMismatch: rewritten by the test proxy\\) in target group web-80 .* after 3s \\(traffic.timeout\\), not healthy`))
  assert.deepEqual(await healthy(), members().map((i) => i.id).sort(), 'it stays registered (moto says healthy once the proxy stops lying)')
  // put the fleet back on one revision for the next test
  writeApp('v2')
  assert.equal((await run(['deploy', '-a', 'web', '--json'])).code, 0)
})

test('membership: scale up registers the new host, scale down drains the leaving ones out of the target group', {skip}, async () => {
  writeApp('v2')
  const up = await run(['scale', 'web=4', '--json'])
  assert.equal(up.code, 0, up.stdout + up.stderr)
  assert.equal(members().length, 4)
  assert.deepEqual(await healthy(), members().map((i) => i.id).sort(), 'the new host was registered once it ran the app')
  const before = members().map((i) => i.id)
  const down = await run(['scale', 'web=2', '--yes', '--json'])
  assert.equal(down.code, 0, down.stdout + down.stderr)
  const drains = (json<EnvReport>(down) as unknown as {drains: Array<{host: string; events: string[]}>}).drains
  assert.equal(drains.length, 2)
  for (const d of drains) assert.ok(d.events.includes('BlockTraffic: ok (target group web-80 of load balancer web (' + targetGroupName(PROJECT, 'prod', 'web', 'web-80') + '))'), d.events.join(', '))
  const left = members().map((i) => i.id).sort()
  assert.equal(left.length, 2)
  assert.deepEqual(await healthy(), left, `the leaving hosts (${before.filter((id) => !left.includes(id)).join(', ')}) were deregistered before they went`)
})

test('followTargets registers ready members that are missing, deregisters those gone, and makes no call when nothing changed', {skip}, async () => {
  const {loaded} = parsePlan(path.join(dir, 'dops.yml'), readFileSync(path.join(dir, 'dops.yml'), 'utf8'))
  const s = resourceScope(loaded, 'prod')
  const st = state()
  const short = (line: string) => line.split(' ').filter((_, i) => i === 0 || i === 3).join('')
  const [a, b] = st.groups.web!.instances.map((i) => i.id)
  const {m, c} = await elb()
  await c.send(new m.DeregisterTargetsCommand({TargetGroupArn: tgArn, Targets: [{Id: a!}]}))
  assert.deepEqual(await healthy(), [b!])
  const changed = await followTargets(s, ['web'], st)
  assert.deepEqual(changed.map((l) => short(l)), [`+(${a})`])
  assert.deepEqual(await healthy(), [a!, b!].sort())
  const calls = () => [...proxy!.calls.entries()].filter(([k]) => /Target/.test(k)).reduce((n, [, v]) => n + v.length, 0)
  const n = calls()
  assert.deepEqual(await followTargets(s, ['web'], st), [])
  assert.equal(calls(), n, 'unchanged membership: no ELB call')
  // one member not ready any more (being replaced), and a new one that is not ready yet: out, and not in
  const next: EnvState = {...st, groups: {web: {...st.groups.web!, instances: [...st.groups.web!.instances.map((i) => (i.id === a ? {...i, ready: false} : i)), {...st.groups.web!.instances[0]!, id: 'i-0notready0000000', name: 'web-notready', ready: false}]}}}
  const out = await followTargets(s, ['web'], next)
  assert.deepEqual(out.map((l) => short(l)), [`-(${a})`])
  assert.deepEqual(await healthy(), [b!])
  await followTargets(s, ['web'], st)
  assert.deepEqual(await healthy(), [a!, b!].sort(), 'ready again: registered again')
})

test('env down once the target group is gone (torn down before the hosts): each drain\'s BlockTraffic is ok, nothing is left', {skip}, async () => {
  if (!wired) {
    // as env down's load balancer step does before any host goes
    const {m, c} = await elb()
    const lbArn = (await c.send(new m.DescribeLoadBalancersCommand({Names: [lbName(PROJECT, 'prod', 'web')]}))).LoadBalancers![0]!.LoadBalancerArn!
    await c.send(new m.DeleteLoadBalancerCommand({LoadBalancerArn: lbArn}))
    await c.send(new m.DeleteTargetGroupCommand({TargetGroupArn: tgArn}))
  }
  const down = await run(['env', 'down', '--yes', '--json'])
  assert.equal(down.code, 0, down.stdout + down.stderr)
  const drains = (json<EnvReport>(down) as unknown as {drains: Array<{host: string; events: string[]; status: string}>}).drains
  assert.equal(drains.length, 2)
  for (const d of drains) assert.equal(d.status, 'ok', d.events.join(', '))
  const {m: em, c: ec} = await ec2()
  const live = (await ec.send(new em.DescribeInstancesCommand({Filters: [{Name: 'tag:dops:project', Values: [PROJECT]}, {Name: 'instance-state-name', Values: ['pending', 'running']}]}))).Reservations!.flatMap((x) => x.Instances ?? [])
  assert.equal(live.length, 0)
})
