/**
 * What a load balancer lookup by name finds is used only when its dops tags say it is the environment's (a foreign one
 * under the name is refused, named, untouched); a target group replacement interrupted with only the passing group
 * left is finished by env up, and deploys find the passing group meanwhile; a target group missing while its load
 * balancer is recorded fails BlockTraffic (the host may still get traffic), also right after this process deleted
 * it (the ARN cache is cleared). Checked with the SDK against moto.
 */
import assert from 'node:assert/strict'
import type {ChildProcess} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, before, test} from 'node:test'
import {resourceScope} from '../../src/deploy/traffic.js'
import type {Host} from '../../src/inventory/host.js'
import {parsePlan} from '../../src/plan/load.js'
import {lbName, lbTags, targetGroupName} from '../../src/providers/aws/elb-names.js'
import {elbSdk, lbCtx} from '../../src/providers/aws/elb-sdk.js'
import {deleteTgs} from '../../src/providers/aws/elb-tg.js'
import {elbApi, findTargetGroup} from '../../src/providers/aws/targets-api.js'
import {targetTraffic} from '../../src/providers/aws/targets.js'
import type {EnvState} from '../../src/state/local-file.js'
import {dops} from '../helpers.js'
import {AWS_TEST_ENV, haveMoto, motoAt, startMoto, TEST_CREDS} from './moto.js'

const {port, endpoint, ec2, image} = motoAt(19000)
const skip = haveMoto ? false : "moto is not installed (pip install 'moto[server]')"
const P = 'lbown'
let moto: ChildProcess | undefined
let dir = ''

const elb = async () => {
  const m = await import('@aws-sdk/client-elastic-load-balancing-v2')
  return {m, c: new m.ElasticLoadBalancingV2Client({region: 'us-east-1', endpoint, credentials: TEST_CREDS})}
}
const run = (args: string[]) => dops(args, {cwd: dir, env: AWS_TEST_ENV, timeoutMs: 300_000})
const tgByName = async (name: string) => {
  const {m, c} = await elb()
  return (await c.send(new m.DescribeTargetGroupsCommand({Names: [name]})).catch(() => ({TargetGroups: []}))).TargetGroups?.[0]
}
const members = async (arn: string) => {
  const {m, c} = await elb()
  return ((await c.send(new m.DescribeTargetHealthCommand({TargetGroupArn: arn}))).TargetHealthDescriptions ?? []).map((d) => d.Target!.Id!).sort()
}
const state = () => JSON.parse(readFileSync(path.join(dir, '.dops', 'state', `${P}-prod.json`), 'utf8')) as EnvState
const scope = () => resourceScope(parsePlan(path.join(dir, 'dops.yml'), readFileSync(path.join(dir, 'dops.yml'), 'utf8')).loaded, 'prod')
const OWN = () => targetGroupName(P, 'prod', 'front', 'site')
const PASSING = () => targetGroupName(P, 'prod', 'front', 'site.2')

before(async () => {
  if (skip) return
  Object.assign(process.env, AWS_TEST_ENV)
  moto = await startMoto(port)
  const ami = await image()
  dir = mkdtempSync(path.join(os.tmpdir(), 'dops-aws-lb-owned-'))
  writeFileSync(
    path.join(dir, 'dops.yml'),
    `version: 1\nproject: ${P}\nproviders:\n  aws: {type: aws, region: us-east-1, endpoint: "${endpoint}"}\nenvironments:\n  prod:\n    groups:\n      web:\n        provider: aws\n        instance: {count: 1, image: ${ami}, size: t3.micro}\n` +
      `    loadBalancers:\n      front:\n        listeners: [{port: 80, targets: site}]\n        targetGroups:\n          site: {group: web, port: 80}\n`,
  )
})
after(async () => {
  if (dir) await run(['env', 'down', '--yes']).catch(() => undefined)
  moto?.kill('SIGKILL')
  if (dir) rmSync(dir, {recursive: true, force: true})
})

test('a load balancer under dops\'s name whose tags are another environment\'s is refused, named, and left as it was', {skip, timeout: 600_000}, async () => {
  const {m, c} = await elb()
  const e = await ec2()
  const subnets = (await e.c.send(new e.m.DescribeSubnetsCommand({Filters: [{Name: 'default-for-az', Values: ['true']}]}))).Subnets!.map((x) => x.SubnetId!)
  const tags = Object.entries({...lbTags(P, 'prod-eu', 'front')}).map(([Key, Value]) => ({Key, Value}))
  const foreign = (await c.send(new m.CreateLoadBalancerCommand({Name: lbName(P, 'prod', 'front'), Subnets: subnets, Type: 'application', Tags: tags}))).LoadBalancers![0]!
  const up = await run(['env', 'up', '--yes'])
  assert.notEqual(up.code, 0, up.stdout)
  assert.match(up.stderr, new RegExp(`load balancer front found by its name ${lbName(P, 'prod', 'front')} is not dops's \\(its tags differ: dops:env=prod \\(found: prod-eu\\)\\); dops neither changes nor deletes it`))
  assert.doesNotMatch(up.stderr, /\n\s+at /)
  assert.deepEqual((await c.send(new m.DescribeListenersCommand({LoadBalancerArn: foreign.LoadBalancerArn}))).Listeners, [], 'no listener was added to it')
  assert.equal(await tgByName(OWN()), undefined, 'nothing was made for it')
  await c.send(new m.DeleteLoadBalancerCommand({LoadBalancerArn: foreign.LoadBalancerArn}))
  const again = await run(['env', 'up', '--yes'])
  assert.equal(again.code, 0, again.stdout + again.stderr)
  assert.ok(await tgByName(OWN()))
})

test('a target group this process deleted, its load balancer recorded: BlockTraffic fails (no stale ARN, no false "out")', {skip, timeout: 600_000}, async () => {
  const s = scope()
  const st = state()
  const inst = st.groups.web!.instances[0]!
  const host = {name: inst.name, group: 'web'} as unknown as Host
  const api = elbApi(s.provider('aws').settings as never)
  const own = (await findTargetGroup(api, OWN()))!
  const {m, c} = await elb()
  const lbArn = (await c.send(new m.DescribeLoadBalancersCommand({Names: [lbName(P, 'prod', 'front')]}))).LoadBalancers![0]!.LoadBalancerArn!
  for (const l of (await c.send(new m.DescribeListenersCommand({LoadBalancerArn: lbArn}))).Listeners ?? []) await c.send(new m.DeleteListenerCommand({ListenerArn: l.ListenerArn}))
  await deleteTgs(lbCtx(s, 'front', s.provider('aws').settings), await elbSdk(lbCtx(s, 'front', s.provider('aws').settings)), [own.arn])
  assert.equal(await findTargetGroup(api, OWN()), undefined, 'the deleted group is not served from the cache')
  const why = await (await targetTraffic(s, 'site', st)).block(host)
  assert.match(why ?? '', /target group site of load balancer front .* does not exist, yet load balancer front is recorded in environment prod's state: host .* may still get traffic/)
  const up = await run(['env', 'up', '--yes'])
  assert.equal(up.code, 0, up.stdout + up.stderr)
  assert.deepEqual(await members((await tgByName(OWN()))!.TargetGroupArn!), [inst.id])
})

test('a replacement interrupted with only the passing group: deploys use it, env up finishes the move', {skip, timeout: 600_000}, async () => {
  const {m, c} = await elb()
  const st = state()
  const inst = st.groups.web!.instances[0]!
  const own = (await tgByName(OWN()))!
  const lbArn = (await c.send(new m.DescribeLoadBalancersCommand({Names: [lbName(P, 'prod', 'front')]}))).LoadBalancers![0]!.LoadBalancerArn!
  // as a kill between "old group deleted" and "group under its own name made" leaves it
  const tags = Object.entries(lbTags(P, 'prod', 'front', 'site')).map(([Key, Value]) => ({Key, Value}))
  const passing = (await c.send(new m.CreateTargetGroupCommand({Name: PASSING(), Protocol: 'HTTP', Port: 80, VpcId: own.VpcId, TargetType: 'instance', Tags: tags}))).TargetGroups![0]!
  await c.send(new m.RegisterTargetsCommand({TargetGroupArn: passing.TargetGroupArn, Targets: [{Id: inst.id}]}))
  const listener = (await c.send(new m.DescribeListenersCommand({LoadBalancerArn: lbArn}))).Listeners![0]!
  await c.send(new m.ModifyListenerCommand({ListenerArn: listener.ListenerArn, DefaultActions: [{Type: 'forward', TargetGroupArn: passing.TargetGroupArn}]}))
  await c.send(new m.DeleteTargetGroupCommand({TargetGroupArn: own.TargetGroupArn}))

  const why = await (await targetTraffic(scope(), 'site', st)).block({name: inst.name, group: 'web'} as unknown as Host)
  assert.equal(why, undefined)
  assert.deepEqual(await members(passing.TargetGroupArn!), [], 'BlockTraffic took the host out of the group that gets the traffic')
  await c.send(new m.RegisterTargetsCommand({TargetGroupArn: passing.TargetGroupArn, Targets: [{Id: inst.id}]}))

  const plan = await run(['env', 'plan'])
  assert.ok(plan.stdout.includes(`~ target group front/site: finishing an interrupted replacement (${PASSING()} moves back to ${OWN()})`), plan.stdout + plan.stderr)
  const up = await run(['env', 'up', '--yes'])
  assert.equal(up.code, 0, up.stdout + up.stderr)
  const back = (await tgByName(OWN()))!
  assert.deepEqual(await members(back.TargetGroupArn!), [inst.id])
  assert.equal(await tgByName(PASSING()), undefined, 'the passing group is gone')
  const now = (await c.send(new m.DescribeListenersCommand({LoadBalancerArn: lbArn}))).Listeners![0]!
  assert.equal(now.DefaultActions![0]!.TargetGroupArn, back.TargetGroupArn)
  assert.equal((await run(['env', 'plan', '--detailed-exitcode'])).code, 0)
})
