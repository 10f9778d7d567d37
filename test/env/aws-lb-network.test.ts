/**
 * Network load balancers on aws (moto), and what env down may remove: an NLB with a TCP listener (made with no
 * security group; the plan keys it ignores reported by env plan), a scheme change makes it again, and env down with
 * the state file lost still removes everything dops made, found by its tags, while a load balancer and target group
 * someone else made (no dops tags) are left alone. Checked with the SDK against moto.
 */
import assert from 'node:assert/strict'
import type {ChildProcess} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, before, test} from 'node:test'
import {lbName, targetGroupName} from '../../src/providers/aws/elb-names.js'
import {dops} from '../helpers.js'
import {AWS_TEST_ENV, haveMoto, motoAt, startMoto, TEST_CREDS} from './moto.js'

const {port, endpoint, ec2, image} = motoAt(14000)
const skip = haveMoto ? false : "moto is not installed (pip install 'moto[server]')"
let moto: ChildProcess | undefined
let ami: string
const dirs: string[] = []
const P = 'nlbt'

const elb = async () => {
  const m = await import('@aws-sdk/client-elastic-load-balancing-v2')
  return {m, c: new m.ElasticLoadBalancingV2Client({region: 'us-east-1', endpoint, credentials: TEST_CREDS})}
}
function write(dir: string, scheme: string, subnets = ''): void {
  writeFileSync(
    path.join(dir, 'dops.yml'),
    `version: 1\nproject: ${P}\nproviders:\n  aws: {type: aws, region: us-east-1, endpoint: "${endpoint}"}\nenvironments:\n  prod:\n    groups:\n      db:\n        provider: aws\n        instance: {count: 1, image: ${ami}, size: t3.micro}\n` +
      `    loadBalancers:\n      pg:\n        type: network\n        scheme: ${scheme}\n${subnets ? `        subnets: [${subnets}]\n` : ''}        idleTimeout: 120s\n        listeners: [{port: 5432, targets: pg}]\n        targetGroups:\n          pg: {group: db, port: 5432, healthCheck: {interval: 10s}}\n`,
  )
}
const run = (dir: string, args: string[]) => dops(args, {cwd: dir, env: AWS_TEST_ENV})

before(async () => {
  if (!haveMoto) return
  moto = await startMoto(port)
  ami = await image()
})
after(() => {
  moto?.kill('SIGKILL')
  for (const d of dirs) rmSync(d, {recursive: true, force: true})
})

test('an NLB made, made again on a scheme change; env down without a state removes what carries its tags and nothing else', {skip, timeout: 600_000}, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dops-aws-nlb-'))
  dirs.push(dir)
  // a subnet that does not exist: said before anything is made, naming the load balancer, with no stack trace
  write(dir, 'internal', 'subnet-0nope')
  for (const args of [['env', 'plan'], ['env', 'up', '--yes']]) {
    const bad = await run(dir, args)
    assert.equal(bad.code, 2, bad.stdout + bad.stderr)
    assert.match(bad.stderr, /load balancer pg: subnet subnet-0nope does not exist in region us-east-1/)
    assert.doesNotMatch(bad.stderr, /\n\s+at /)
  }
  const e0 = await ec2()
  const made = (await e0.c.send(new e0.m.DescribeInstancesCommand({Filters: [{Name: 'tag:dops:project', Values: [P]}, {Name: 'instance-state-name', Values: ['pending', 'running']}]}))).Reservations!.flatMap((r) => r.Instances ?? [])
  assert.deepEqual(made, [], 'no host was created')
  write(dir, 'internal')
  const plan = await run(dir, ['env', 'plan'])
  assert.equal(plan.code, 0, plan.stdout + plan.stderr)
  assert.ok(plan.stdout.includes('+ load balancer pg (network, internal)'), plan.stdout)
  assert.ok(plan.stdout.includes('+ listener pg TCP:5432 -> pg'), plan.stdout)
  assert.match(plan.stdout, /loadBalancers: ignored by its provider: pg: idleTimeout/)
  assert.equal((await run(dir, ['env', 'up', '--yes'])).code, 0)
  const {m, c} = await elb()
  const find = async () => (await c.send(new m.DescribeLoadBalancersCommand({Names: [lbName(P, 'prod', 'pg')]})).catch(() => ({LoadBalancers: []}))).LoadBalancers?.[0]
  const first = (await find())!
  assert.deepEqual([first.Type, first.Scheme, first.SecurityGroups ?? []], ['network', 'internal', []])
  const tg = (await c.send(new m.DescribeTargetGroupsCommand({Names: [targetGroupName(P, 'prod', 'pg', 'pg')]}))).TargetGroups![0]!
  assert.deepEqual([tg.Protocol, tg.Port, tg.HealthCheckProtocol, tg.HealthCheckIntervalSeconds], ['TCP', 5432, 'TCP', 10])
  assert.equal((await run(dir, ['env', 'plan', '--detailed-exitcode'])).code, 0)

  // the scheme cannot be modified: the load balancer is made again, its target group kept
  write(dir, 'internet-facing')
  const change = await run(dir, ['env', 'plan'])
  assert.ok(change.stdout.includes('~ load balancer pg: scheme internal -> internet-facing (made again'), change.stdout)
  const up = await run(dir, ['env', 'up', '--yes'])
  assert.equal(up.code, 0, up.stdout + up.stderr)
  const second = (await find())!
  assert.notEqual(second.LoadBalancerArn, first.LoadBalancerArn)
  assert.equal(second.Scheme, 'internet-facing')
  const ls = (await c.send(new m.DescribeListenersCommand({LoadBalancerArn: second.LoadBalancerArn}))).Listeners!
  assert.deepEqual(ls.map((l) => [l.Port, l.Protocol, l.DefaultActions![0]!.TargetGroupArn]), [[5432, 'TCP', tg.TargetGroupArn]])
  const all = (await c.send(new m.DescribeLoadBalancersCommand({}))).LoadBalancers!.filter((l) => l.LoadBalancerName === lbName(P, 'prod', 'pg'))
  assert.equal(all.length, 1, 'the old one is gone')

  // someone else's load balancer and target group in the same account, named like dops's but without its tags
  const e = await ec2()
  const subnets = (await e.c.send(new e.m.DescribeSubnetsCommand({Filters: [{Name: 'default-for-az', Values: ['true']}]}))).Subnets!.map((x) => x.SubnetId!)
  await c.send(new m.CreateLoadBalancerCommand({Name: `dops-${P}-prod-other`, Subnets: subnets.slice(0, 2), Type: 'network', Scheme: 'internal'}))
  await c.send(new m.CreateTargetGroupCommand({Name: `dops-${P}-prod-other-tg`, Protocol: 'TCP', Port: 1, VpcId: tg.VpcId}))

  // the state is lost: env down finds what is dops's by its tags
  rmSync(path.join(dir, '.dops', 'state'), {recursive: true, force: true})
  const down = await run(dir, ['env', 'down', '--yes'])
  assert.equal(down.code, 0, down.stdout + down.stderr)
  const lbs = (await c.send(new m.DescribeLoadBalancersCommand({}))).LoadBalancers!.map((l) => l.LoadBalancerName).filter((n) => n!.startsWith(`dops-${P}-`))
  const tgs = (await c.send(new m.DescribeTargetGroupsCommand({}))).TargetGroups!.map((t) => t.TargetGroupName).filter((n) => n!.startsWith(`dops-${P}-`))
  assert.deepEqual([lbs, tgs], [[`dops-${P}-prod-other`], [`dops-${P}-prod-other-tg`]])
})
