/**
 * DNS records on aws (moto's Route 53): an environment with an application load balancer, an alias to it and the A
 * records of a group, in a hosted zone made by the test that also holds records dops does not own. `env plan` shows
 * them, `env up` makes them, a second plan is a no-op, scale changes the A records, `env down` removes exactly
 * dops's records. The oracles are ListResourceRecordSets, DescribeLoadBalancers and DescribeInstances.
 */
import assert from 'node:assert/strict'
import type {ChildProcess} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, before, test} from 'node:test'
import {lbName} from '../../src/providers/aws/elb-names.js'
import {dops} from '../helpers.js'
import {AWS_TEST_ENV, haveMoto, motoAt, startMoto, TEST_CREDS} from './moto.js'

const {port, endpoint, ec2, image} = motoAt(15000)
const skip = haveMoto ? false : "moto is not installed (pip install 'moto[server]')"
let moto: ChildProcess | undefined
let ami: string
const dirs: string[] = []

const r53 = async (at = endpoint) => {
  const m = await import('@aws-sdk/client-route-53')
  return {m, c: new m.Route53Client({region: 'us-east-1', endpoint: at, credentials: TEST_CREDS})}
}
const elb = async () => {
  const m = await import('@aws-sdk/client-elastic-load-balancing-v2')
  return {m, c: new m.ElasticLoadBalancingV2Client({region: 'us-east-1', endpoint, credentials: TEST_CREDS})}
}

/** A hosted zone made here (its bare id), with records dops does not own. */
async function makeZone(name: string, foreign: Array<{name: string; type: 'A' | 'TXT'; value: string}> = []): Promise<string> {
  const {m, c} = await r53()
  const z = await c.send(new m.CreateHostedZoneCommand({Name: name, CallerReference: `test-${name}-${Date.now()}-${Math.random()}`}))
  const id = z.HostedZone!.Id!.replace('/hostedzone/', '')
  if (foreign.length) {
    await c.send(new m.ChangeResourceRecordSetsCommand({HostedZoneId: id, ChangeBatch: {Changes: foreign.map((f) => ({Action: 'UPSERT', ResourceRecordSet: {Name: f.name, Type: f.type, TTL: 300, ResourceRecords: [{Value: f.value}]}}))}}))
  }
  return id
}
/** The zone's record sets, by `name type` (name without the trailing dot). */
async function zoneRecords(id: string): Promise<Map<string, import('@aws-sdk/client-route-53').ResourceRecordSet>> {
  const {m, c} = await r53()
  const out = await c.send(new m.ListResourceRecordSetsCommand({HostedZoneId: id}))
  return new Map((out.ResourceRecordSets ?? []).map((s) => [`${s.Name!.replace(/\.$/, '')} ${s.Type}`, s]))
}
const values = (s?: import('@aws-sdk/client-route-53').ResourceRecordSet) => (s?.ResourceRecords ?? []).map((v) => v.Value!).sort()

/** Private addresses of the project's running instances (the provider's `addressing: private`). */
async function instanceIps(project: string): Promise<string[]> {
  const {m, c} = await ec2()
  const r = await c.send(new m.DescribeInstancesCommand({Filters: [{Name: 'tag:dops:project', Values: [project]}, {Name: 'instance-state-name', Values: ['pending', 'running']}]}))
  return (r.Reservations ?? []).flatMap((x) => x.Instances ?? []).map((i) => i.PrivateIpAddress!).sort()
}
async function findLb(project: string, lb: string) {
  const {m, c} = await elb()
  return (await c.send(new m.DescribeLoadBalancersCommand({Names: [lbName(project, 'prod', lb)]})).catch(() => ({LoadBalancers: []}))).LoadBalancers?.[0]
}

interface PlanOpts {
  project: string
  dns: string
  endpoint?: string
  provider?: string
  count?: number
}
function writePlan(dir: string, o: PlanOpts): void {
  writeFileSync(
    path.join(dir, 'dops.yml'),
    `version: 1\nproject: ${o.project}\nproviders:\n  cloud: {type: aws, region: us-east-1, endpoint: "${o.endpoint ?? endpoint}", addressing: private${o.provider ?? ''}}\nenvironments:\n  prod:\n` +
      `    groups:\n      web:\n        provider: cloud\n        instance: {count: ${o.count ?? 2}, image: ${ami}, size: t3.micro}\n` +
      `    loadBalancers:\n      front:\n        listeners: [{port: 80, targets: site}]\n        targetGroups:\n          site: {group: web, port: 80}\n` +
      `    dns:\n${o.dns}`,
  )
}
function project(o: PlanOpts): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `dops-aws-dns-${o.project}-`))
  dirs.push(dir)
  writePlan(dir, o)
  return dir
}
const run = (dir: string, args: string[]) => dops(args, {cwd: dir, env: AWS_TEST_ENV})
const dnsState = (dir: string, p: string) => (JSON.parse(readFileSync(path.join(dir, '.dops', 'state', `${p}-prod.json`), 'utf8')) as {resources?: {dns?: {zoneId: string; records: Array<{name: string}>}}}).resources?.dns

before(async () => {
  if (!haveMoto) return
  moto = await startMoto(port)
  ami = await image()
})
after(() => {
  moto?.kill('SIGKILL')
  for (const d of dirs) rmSync(d, {recursive: true, force: true})
})

test('an alias to the load balancer and the A records of a group: planned, made, a no-op plan after, following scale, other records untouched, env down removes exactly dops\'s', {skip, timeout: 600_000}, async () => {
  const P = 'dnsa'
  const zone = await makeZone('example.test', [{name: 'mail.example.test', type: 'A', value: '192.0.2.10'}, {name: 'app.example.test', type: 'TXT', value: '"not dops"'}])
  const foreign = async () => [...(await zoneRecords(zone)).entries()].filter(([k]) => !['www.example.test A', 'app.example.test A'].includes(k))
  const before = await foreign()
  assert.equal(before.length, 4, 'NS, SOA, mail A, app TXT')
  const dir = project({project: P, dns: `      zone: example.test\n      records:\n        - {name: www, alias: front}\n        - {name: app, group: web}\n`})

  const plan = await run(dir, ['env', 'plan', '--detailed-exitcode'])
  assert.equal(plan.code, 10, plan.stdout + plan.stderr)
  for (const l of ['+ record www.example.test A alias front (once the load balancer exists)', "+ record app.example.test A (the addresses of group web's hosts once they are ready)"]) assert.ok(plan.stdout.includes(l), `${l} in:\n${plan.stdout}`)

  const up = await run(dir, ['env', 'up'])
  assert.equal(up.code, 0, up.stdout + up.stderr)
  const lb = (await findLb(P, 'front'))!
  assert.ok(lb?.DNSName, 'the load balancer exists')
  let recs = await zoneRecords(zone)
  const www = recs.get('www.example.test A')!
  assert.equal(www.AliasTarget?.HostedZoneId, lb.CanonicalHostedZoneId)
  assert.equal(www.AliasTarget?.DNSName?.replace(/\.$/, '').toLowerCase(), lb.DNSName!.toLowerCase())
  assert.deepEqual(values(recs.get('app.example.test A')), await instanceIps(P))
  assert.equal(recs.get('app.example.test A')!.TTL, 60)
  assert.equal((await instanceIps(P)).length, 2)
  assert.deepEqual(dnsState(dir, P)!.records.map((r) => r.name).sort(), ['app.example.test.', 'www.example.test.'])
  assert.ok(up.stderr.includes('changed dns: + record app.example.test A'), up.stderr)

  const again = await run(dir, ['env', 'plan', '--detailed-exitcode'])
  assert.equal(again.code, 0, `in step: a no-op plan\n${again.stdout}${again.stderr}`)

  // scale: the A records follow membership (written after each state write)
  assert.equal((await run(dir, ['scale', 'web=3'])).code, 0)
  recs = await zoneRecords(zone)
  assert.equal((await instanceIps(P)).length, 3)
  assert.deepEqual(values(recs.get('app.example.test A')), await instanceIps(P))
  const down1 = await run(dir, ['scale', 'web=1', '--yes'])
  assert.equal(down1.code, 0, down1.stdout + down1.stderr)
  recs = await zoneRecords(zone)
  assert.equal((await instanceIps(P)).length, 1)
  assert.deepEqual(values(recs.get('app.example.test A')), await instanceIps(P))
  assert.equal((await run(dir, ['env', 'plan', '--detailed-exitcode'])).code, 0, 'in step after scale')
  assert.deepEqual(await foreign(), before, 'records dops does not own are untouched')

  const down = await run(dir, ['env', 'down', '--yes', '--json'])
  assert.equal(down.code, 0, down.stdout + down.stderr)
  const removed = (JSON.parse(down.stdout) as {removed: string[]}).removed
  for (const r of ['record www.example.test A', 'record app.example.test A']) assert.ok(removed.includes(r), `${r} in ${removed.join(', ')}`)
  recs = await zoneRecords(zone)
  assert.deepEqual([...recs.entries()], before, 'exactly dops\'s records went; the others are as they were')
  assert.equal(dnsState(dir, P), undefined, 'the state no longer records any')
  assert.equal(await findLb(P, 'front'), undefined)
})

test('a zone by name must be unique (the error lists the ids); by zoneId it is found; a record of the zone dops does not own is refused, nothing changed', {skip, timeout: 600_000}, async () => {
  const P = 'dnsz'
  const a = await makeZone('dup.test', [{name: 'www.dup.test', type: 'A', value: '192.0.2.20'}])
  const b = await makeZone('dup.test')
  const dir = project({project: P, dns: `      zone: dup.test\n      records:\n        - {name: app, group: web}\n`})
  const plan = await run(dir, ['env', 'plan'])
  assert.equal(plan.code, 23, plan.stdout + plan.stderr)
  assert.match(plan.stderr, new RegExp(`2 hosted zones are named dup.test \\((${a}, ${b}|${b}, ${a})\\); give the one to use as \`zoneId\``))
  assert.doesNotMatch(plan.stderr, /\n\s+at /, 'no stack trace')

  const beforeA = [...(await zoneRecords(a)).entries()]
  writePlan(dir, {project: P, dns: `      zoneId: ${a}\n      records:\n        - {name: www, alias: front}\n        - {name: app, group: web}\n`})
  const plan2 = await run(dir, ['env', 'plan'])
  assert.equal(plan2.code, 0, plan2.stdout + plan2.stderr)
  assert.ok(plan2.stdout.includes('! record www.dup.test A is in zone dup.test but was not made by dops'), plan2.stdout)
  const up = await run(dir, ['env', 'up'])
  assert.equal(up.code, 23, up.stdout + up.stderr)
  assert.match(up.stderr, /zone dup.test already has www.dup.test \(type A\), not made by dops; nothing was changed/)
  assert.deepEqual([...(await zoneRecords(a)).entries()], beforeA, 'the zone is as it was: www untouched, app not made')
  assert.equal(dnsState(dir, P), undefined)
  // the record renamed: made in the zone given by id, not in its namesake
  writePlan(dir, {project: P, dns: `      zoneId: ${a}\n      records:\n        - {name: web, alias: front}\n        - {name: app, group: web}\n`})
  const up2 = await run(dir, ['env', 'up'])
  assert.equal(up2.code, 0, up2.stdout + up2.stderr)
  const recs = await zoneRecords(a)
  assert.deepEqual(values(recs.get('app.dup.test A')), await instanceIps(P))
  assert.ok(recs.get('web.dup.test A')?.AliasTarget)
  assert.deepEqual(values(recs.get('www.dup.test A')), ['192.0.2.20'])
  assert.equal([...(await zoneRecords(b)).keys()].filter((k) => !/ (NS|SOA)$/.test(k)).length, 0, 'nothing in the other zone of that name')
  assert.equal((await run(dir, ['env', 'down', '--yes'])).code, 0)
  assert.deepEqual([...(await zoneRecords(a)).entries()], beforeA)
})
