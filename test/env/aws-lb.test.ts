/**
 * Load balancers on aws (moto): an environment with an application load balancer, two target groups (one of a plain
 * group, one of an Auto Scaling group attached to it) and a path rule. `env plan` shows it, `env up` makes it, a
 * second plan is a no-op; a health check change is applied in place, a port change makes a new target group (the
 * listener moves to it); removing it from the plan removes it; `env down` leaves nothing. Every check is made with
 * the SDK against moto, and the state's record against what ELBv2 says.
 */
import assert from 'node:assert/strict'
import type {ChildProcess} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, before, test} from 'node:test'
import {lbName, targetGroupName} from '../../src/providers/aws/elb-names.js'
import {dops} from '../helpers.js'
import {AWS_TEST_ENV, haveMoto, motoAt, startMoto, TEST_CREDS} from './moto.js'

const {port, endpoint, ec2, image, asg} = motoAt(13000)
const skip = haveMoto ? false : "moto is not installed (pip install 'moto[server]')"
let moto: ChildProcess | undefined
let ami: string
const dirs: string[] = []

const elb = async () => {
  const m = await import('@aws-sdk/client-elastic-load-balancing-v2')
  return {m, c: new m.ElasticLoadBalancingV2Client({region: 'us-east-1', endpoint, credentials: TEST_CREDS})}
}

const P = 'lbt'
const groups = () =>
  `    groups:\n` +
  `      web:\n        provider: aws\n        instance: {count: 2, image: ${ami}, size: t3.micro}\n` +
  `      pool:\n        provider: aws\n        instance: {count: 2, image: ${ami}, size: t3.micro, autoScaling: {min: 1, max: 3}}\n`
const lbYaml = (o: {path?: string; webPort?: number; firewall?: boolean} = {}) =>
  `    loadBalancers:\n      front:\n${o.firewall ? '        firewall: [{port: 80, from: [0.0.0.0/0]}, {port: 8443, from: ["group:web"]}]\n' : ''}        listeners:\n          - port: 80\n            targets: site\n            rules: [{path: /api/*, targets: api}]\n` +
  `        targetGroups:\n          site: {group: web, port: ${o.webPort ?? 80}, healthCheck: {path: ${o.path ?? '/health'}, interval: 10s, timeout: 5s, healthy: 2}}\n` +
  `          api: {group: pool, port: 8080, deregistrationDelay: 30s}\n`

function write(dir: string, withLb: boolean, o: Parameters<typeof lbYaml>[0] = {}): void {
  writeFileSync(path.join(dir, 'dops.yml'), `version: 1\nproject: ${P}\nproviders:\n  aws: {type: aws, region: us-east-1, endpoint: "${endpoint}"}\nenvironments:\n  prod:\n${groups()}${withLb ? lbYaml(o) : ''}`)
}
const run = (dir: string, args: string[]) => dops(args, {cwd: dir, env: AWS_TEST_ENV})

async function findLb() {
  const {m, c} = await elb()
  return (await c.send(new m.DescribeLoadBalancersCommand({Names: [lbName(P, 'prod', 'front')]})).catch(() => ({LoadBalancers: []}))).LoadBalancers?.[0]
}
async function tgByName(name: string) {
  const {m, c} = await elb()
  return (await c.send(new m.DescribeTargetGroupsCommand({Names: [name]})).catch(() => ({TargetGroups: []}))).TargetGroups?.[0]
}
/** Everything of the project on ELBv2 and EC2 security groups tagged for a load balancer. */
async function lbRemains(): Promise<string[]> {
  const {m, c} = await elb()
  const lbs = (await c.send(new m.DescribeLoadBalancersCommand({}))).LoadBalancers ?? []
  const tgs = (await c.send(new m.DescribeTargetGroupsCommand({}))).TargetGroups ?? []
  const e = await ec2()
  const sgs = (await e.c.send(new e.m.DescribeSecurityGroupsCommand({Filters: [{Name: 'tag:dops:project', Values: [P]}, {Name: 'tag-key', Values: ['dops:lb']}]}))).SecurityGroups ?? []
  return [...lbs.filter((l) => l.LoadBalancerName!.startsWith(`dops-${P}-`)).map((l) => `lb ${l.LoadBalancerName}`), ...tgs.filter((t) => t.TargetGroupName!.startsWith(`dops-${P}-`)).map((t) => `tg ${t.TargetGroupName}`), ...sgs.map((g) => `sg ${g.GroupName}`)]
}
const state = (dir: string) => JSON.parse(readFileSync(path.join(dir, '.dops', 'state', `${P}-prod.json`), 'utf8')) as {resources?: {loadBalancers?: Record<string, {arn: string; securityGroup?: string; targetGroups: Record<string, {arn: string}>}>}}

before(async () => {
  if (!haveMoto) return
  moto = await startMoto(port)
  ami = await image()
})
after(() => {
  moto?.kill('SIGKILL')
  for (const d of dirs) rmSync(d, {recursive: true, force: true})
})

test('an ALB with two target groups: planned, made as planned, a second plan is a no-op, changes applied in place or by a new target group, removed with the plan, nothing left after env down', {skip, timeout: 600_000}, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dops-aws-lb-'))
  dirs.push(dir)
  write(dir, true)
  const plan = await run(dir, ['env', 'plan', '--detailed-exitcode'])
  assert.equal(plan.code, 10, plan.stdout + plan.stderr)
  for (const l of ['+ load balancer front (application, internet-facing)', '+ target group front/site (HTTP:80, group web)', '+ target group front/api (HTTP:8080, group pool)', '+ listener front HTTP:80 -> site', '+ auto scaling group dops-lbt-prod-pool attached to target group front/api']) assert.ok(plan.stdout.includes(l), `${l} in:\n${plan.stdout}`)
  assert.equal(await findLb(), undefined, 'env plan made nothing')

  const up = await run(dir, ['env', 'up', '--yes'])
  assert.equal(up.code, 0, up.stdout + up.stderr)
  const lb = (await findLb())!
  assert.equal(lb.Type, 'application')
  assert.equal(lb.Scheme, 'internet-facing')
  const {m, c} = await elb()
  const site = (await tgByName(targetGroupName(P, 'prod', 'front', 'site')))!
  const api = (await tgByName(targetGroupName(P, 'prod', 'front', 'api')))!
  assert.deepEqual([site.Port, site.HealthCheckPath, site.HealthCheckIntervalSeconds, site.HealthCheckTimeoutSeconds, site.HealthyThresholdCount], [80, '/health', 10, 5, 2])
  const delay = (await c.send(new m.DescribeTargetGroupAttributesCommand({TargetGroupArn: api.TargetGroupArn}))).Attributes!.find((a) => a.Key === 'deregistration_delay.timeout_seconds')!.Value
  assert.equal(delay, '30')
  const listeners = (await c.send(new m.DescribeListenersCommand({LoadBalancerArn: lb.LoadBalancerArn}))).Listeners!
  assert.deepEqual(listeners.map((l) => [l.Port, l.Protocol, l.DefaultActions![0]!.TargetGroupArn]), [[80, 'HTTP', site.TargetGroupArn]])
  const rules = (await c.send(new m.DescribeRulesCommand({ListenerArn: listeners[0]!.ListenerArn}))).Rules!.filter((r) => !r.IsDefault)
  assert.deepEqual(rules.map((r) => [r.Priority, r.Conditions![0]!.Values ?? r.Conditions![0]!.PathPatternConfig?.Values, r.Actions![0]!.TargetGroupArn]), [['1', ['/api/*'], api.TargetGroupArn]])
  // the Auto Scaling group is attached to its target group, and its instances are in it
  const a = await asg()
  const pool = (await a.c.send(new a.m.DescribeAutoScalingGroupsCommand({AutoScalingGroupNames: ['dops-lbt-prod-pool']}))).AutoScalingGroups![0]!
  assert.deepEqual(pool.TargetGroupARNs, [api.TargetGroupArn])
  const inApi = (await c.send(new m.DescribeTargetHealthCommand({TargetGroupArn: api.TargetGroupArn}))).TargetHealthDescriptions!.map((t) => t.Target!.Id).sort()
  assert.deepEqual(inApi, pool.Instances!.map((i) => i.InstanceId).sort())
  // its security group lets the listener's port in from anywhere, and is the load balancer's
  const e = await ec2()
  const sg = (await e.c.send(new e.m.DescribeSecurityGroupsCommand({GroupIds: lb.SecurityGroups}))).SecurityGroups![0]!
  assert.deepEqual(sg.IpPermissions!.map((p) => [p.FromPort, p.IpRanges!.map((r) => r.CidrIp)]), [[80, ['0.0.0.0/0']]])
  // the state records what ELBv2 has
  const rec = state(dir).resources!.loadBalancers!.front!
  assert.deepEqual([rec.arn, rec.securityGroup, rec.targetGroups.site!.arn, rec.targetGroups.api!.arn], [lb.LoadBalancerArn, sg.GroupId, site.TargetGroupArn, api.TargetGroupArn])

  const again = await run(dir, ['env', 'plan', '--detailed-exitcode'])
  assert.equal(again.code, 0, `a second plan changes nothing:\n${again.stdout}${again.stderr}`)

  // a health check change: shown as ~, applied to the same target group; a firewall rule from a group's security group
  write(dir, true, {path: '/ready', firewall: true})
  const hc = await run(dir, ['env', 'plan', '--detailed-exitcode'])
  assert.equal(hc.code, 10, hc.stdout + hc.stderr)
  assert.ok(hc.stdout.includes('~ target group front/site: health check path /health -> /ready'), hc.stdout)
  assert.ok(hc.stdout.includes('~ load balancer front: firewall +tcp 8443 from group:web'), hc.stdout)
  assert.equal((await run(dir, ['env', 'up', '--yes'])).code, 0)
  const site2 = (await tgByName(targetGroupName(P, 'prod', 'front', 'site')))!
  assert.deepEqual([site2.TargetGroupArn, site2.HealthCheckPath], [site.TargetGroupArn, '/ready'])
  const webSg = (await e.c.send(new e.m.DescribeSecurityGroupsCommand({Filters: [{Name: 'group-name', Values: [`dops-${P}-prod-web`]}]}))).SecurityGroups![0]!.GroupId
  const rulesNow = (await e.c.send(new e.m.DescribeSecurityGroupsCommand({GroupIds: [sg.GroupId!]}))).SecurityGroups![0]!.IpPermissions!
  assert.deepEqual(rulesNow.map((p) => [p.FromPort, p.IpRanges!.map((r) => r.CidrIp), p.UserIdGroupPairs!.map((g) => g.GroupId)]).sort(), [[80, ['0.0.0.0/0'], []], [8443, [], [webSg]]])
  assert.equal((await run(dir, ['env', 'plan', '--detailed-exitcode'])).code, 0)

  // a port change: a new target group under the same name, the web hosts in it, the listener moved to it, the old one deleted
  write(dir, true, {path: '/ready', webPort: 81, firewall: true})
  const pc = await run(dir, ['env', 'plan'])
  assert.ok(pc.stdout.includes('~ target group front/site: HTTP:80 -> HTTP:81'), pc.stdout)
  assert.ok(!pc.stdout.includes('- target group'), pc.stdout)
  const upPort = await run(dir, ['env', 'up', '--yes'])
  assert.equal(upPort.code, 0, upPort.stdout + upPort.stderr)
  const site3 = (await tgByName(targetGroupName(P, 'prod', 'front', 'site')))!
  assert.equal(site3.Port, 81)
  assert.notEqual(site3.TargetGroupArn, site.TargetGroupArn)
  assert.equal(await tgByName(targetGroupName(P, 'prod', 'front', 'site.2')), undefined, 'the passing target group is gone')
  const oldGone = await c.send(new m.DescribeTargetGroupsCommand({TargetGroupArns: [site.TargetGroupArn!]})).then(() => false, (err: {name?: string}) => /TargetGroupNotFound/.test(String(err.name)))
  assert.ok(oldGone, 'the old target group is deleted')
  const webIds = (await e.c.send(new e.m.DescribeInstancesCommand({Filters: [{Name: 'tag:dops:project', Values: [P]}, {Name: 'tag:dops:group', Values: ['web']}, {Name: 'instance-state-name', Values: ['running']}]}))).Reservations!.flatMap((r) => r.Instances!.map((i) => i.InstanceId!)).sort()
  const inSite = (await c.send(new m.DescribeTargetHealthCommand({TargetGroupArn: site3.TargetGroupArn}))).TargetHealthDescriptions!.map((t) => t.Target!.Id).sort()
  assert.deepEqual(inSite, webIds)
  assert.equal(webIds.length, 2)
  const moved = (await c.send(new m.DescribeListenersCommand({LoadBalancerArn: lb.LoadBalancerArn}))).Listeners!
  assert.deepEqual(moved.map((l) => l.DefaultActions![0]!.TargetGroupArn), [site3.TargetGroupArn])
  assert.equal(state(dir).resources!.loadBalancers!.front!.targetGroups.site!.arn, site3.TargetGroupArn)
  assert.equal((await run(dir, ['env', 'plan', '--detailed-exitcode'])).code, 0)

  // removed from the plan: removed from ELBv2 (and from the Auto Scaling group), the hosts stay
  write(dir, false)
  const rm = await run(dir, ['env', 'plan'])
  assert.ok(rm.stdout.includes('- load balancer front'), rm.stdout)
  const upRm = await run(dir, ['env', 'up', '--yes'])
  assert.equal(upRm.code, 0, upRm.stdout + upRm.stderr)
  assert.deepEqual(await lbRemains(), [])
  assert.deepEqual((await a.c.send(new a.m.DescribeAutoScalingGroupsCommand({AutoScalingGroupNames: ['dops-lbt-prod-pool']}))).AutoScalingGroups![0]!.TargetGroupARNs, [])
  assert.equal(state(dir).resources?.loadBalancers?.front, undefined)

  // back in the plan, then env down: no load balancer, target group or security group remains
  write(dir, true)
  assert.equal((await run(dir, ['env', 'up', '--yes'])).code, 0)
  assert.ok((await lbRemains()).length >= 4)
  const down = await run(dir, ['env', 'down', '--yes'])
  assert.equal(down.code, 0, down.stdout + down.stderr)
  assert.deepEqual(await lbRemains(), [])
  const left = (await e.c.send(new e.m.DescribeSecurityGroupsCommand({Filters: [{Name: 'tag:dops:project', Values: [P]}]}))).SecurityGroups!
  assert.deepEqual(left.map((g) => g.GroupName), [])
})
