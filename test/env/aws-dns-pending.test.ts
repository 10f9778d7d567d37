/**
 * Route 53 changes that are PENDING for a while (moto always says INSYNC: a proxy of the test answers PENDING,
 * test/env/route53-proxy.ts): env up sends one change batch for all the records, polls GetChange until INSYNC and
 * only then goes on; a change still PENDING after the provider's `dnsTimeout` fails env up (exit 23) naming it; a
 * scale's new membership goes through a PENDING change the same way. Oracles: the proxy's view of the calls and
 * ListResourceRecordSets.
 */
import assert from 'node:assert/strict'
import type {ChildProcess} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, before, test} from 'node:test'
import {dops} from '../helpers.js'
import {AWS_TEST_ENV, haveMoto, motoAt, startMoto, TEST_CREDS} from './moto.js'
import {startRoute53Proxy, type Route53Proxy} from './route53-proxy.js'

const {port, endpoint, ec2, image} = motoAt(16000)
const skip = haveMoto ? false : "moto is not installed (pip install 'moto[server]')"
let moto: ChildProcess | undefined
let proxy: Route53Proxy | undefined
let ami: string
let dir: string | undefined

const r53 = async () => {
  const m = await import('@aws-sdk/client-route-53')
  return {m, c: new m.Route53Client({region: 'us-east-1', endpoint, credentials: TEST_CREDS})}
}
async function zoneRecords(id: string) {
  const {m, c} = await r53()
  const out = await c.send(new m.ListResourceRecordSetsCommand({HostedZoneId: id}))
  return new Map((out.ResourceRecordSets ?? []).map((s) => [`${s.Name!.replace(/\.$/, '')} ${s.Type}`, s]))
}
async function instanceIps(project: string): Promise<string[]> {
  const {m, c} = await ec2()
  const r = await c.send(new m.DescribeInstancesCommand({Filters: [{Name: 'tag:dops:project', Values: [project]}, {Name: 'instance-state-name', Values: ['pending', 'running']}]}))
  return (r.Reservations ?? []).flatMap((x) => x.Instances ?? []).map((i) => i.PrivateIpAddress!).sort()
}

const P = 'dnsp'
function writePlan(o: {timeout: string; ttl: number}): void {
  writeFileSync(
    path.join(dir!, 'dops.yml'),
    `version: 1\nproject: ${P}\nproviders:\n  cloud: {type: aws, region: us-east-1, endpoint: "${proxy!.endpoint}", addressing: private, dnsTimeout: ${o.timeout}}\nenvironments:\n  prod:\n` +
      `    groups:\n      web:\n        provider: cloud\n        instance: {count: 2, image: ${ami}, size: t3.micro}\n` +
      `    loadBalancers:\n      front:\n        listeners: [{port: 80, targets: site}]\n        targetGroups:\n          site: {group: web, port: 80}\n` +
      `    dns:\n      zone: pending.test\n      ttl: ${o.ttl}\n      records:\n        - {name: www, alias: front}\n        - {name: app, group: web}\n`,
  )
}
const run = (args: string[]) => dops(args, {cwd: dir!, env: AWS_TEST_ENV})

before(async () => {
  if (!haveMoto) return
  moto = await startMoto(port)
  proxy = await startRoute53Proxy(port, 0)
  ami = await image()
  dir = mkdtempSync(path.join(os.tmpdir(), 'dops-aws-dns-pending-'))
})
after(() => {
  proxy?.close()
  moto?.kill('SIGKILL')
  if (dir) rmSync(dir, {recursive: true, force: true})
})

test('a PENDING change is waited for until INSYNC; one still PENDING after dnsTimeout fails env up naming it; scale waits the same way', {skip, timeout: 600_000}, async () => {
  const {m, c} = await r53()
  const zone = (await c.send(new m.CreateHostedZoneCommand({Name: 'pending.test', CallerReference: `pending-${process.pid}`}))).HostedZone!.Id!.replace('/hostedzone/', '')
  writePlan({timeout: '1m', ttl: 60})
  proxy!.pendingPolls = 2
  const up = await run(['env', 'up'])
  assert.equal(up.code, 0, up.stdout + up.stderr)
  assert.equal(proxy!.batches.length, 1, 'one change batch for both records')
  assert.match(proxy!.batches[0]!, /www\.pending\.test[\s\S]*app\.pending\.test|app\.pending\.test[\s\S]*www\.pending\.test/)
  assert.equal(proxy!.pendingAnswers, 2, 'GetChange answered PENDING twice')
  assert.equal(proxy!.polls, 3, 'and polled once more, until INSYNC, then went on')
  let recs = await zoneRecords(zone)
  assert.deepEqual((recs.get('app.pending.test A')?.ResourceRecords ?? []).map((v) => v.Value).sort(), await instanceIps(P))
  assert.ok(recs.get('www.pending.test A')?.AliasTarget)

  // Route 53 never gets in sync within the provider's dnsTimeout: env up fails, naming the change
  writePlan({timeout: '2s', ttl: 30})
  proxy!.pendingPolls = Infinity
  const polls = proxy!.polls
  const late = await run(['env', 'up'])
  assert.equal(late.code, 23, late.stdout + late.stderr)
  assert.match(late.stderr, /dns: Route 53 change \S+ in zone \S+ is still PENDING after 2 s \(the provider's `dnsTimeout`\)/)
  assert.doesNotMatch(late.stderr, /\n\s+at /, 'no stack trace')
  assert.equal(proxy!.batches.length, 2)
  assert.ok(proxy!.polls > polls, 'it polled before giving up')
  // the batch was accepted (Route 53 goes on with it): the zone has the new TTL, so the plan is in step
  recs = await zoneRecords(zone)
  assert.equal(recs.get('app.pending.test A')?.TTL, 30)
  assert.equal((await run(['env', 'plan', '--detailed-exitcode'])).code, 0, 'in step')

  // membership followed through a PENDING change too: scale waits for INSYNC, the A record has the three hosts
  proxy!.pendingPolls = 1
  const [batches, pending] = [proxy!.batches.length, proxy!.pendingAnswers]
  const scale = await run(['scale', 'web=3'])
  assert.equal(scale.code, 0, scale.stdout + scale.stderr)
  assert.doesNotMatch(scale.stderr, /members not followed/)
  assert.equal(proxy!.batches.length, batches + 1, 'one batch for the new membership')
  assert.equal(proxy!.pendingAnswers, pending + 1)
  recs = await zoneRecords(zone)
  assert.equal((await instanceIps(P)).length, 3)
  assert.deepEqual((recs.get('app.pending.test A')?.ResourceRecords ?? []).map((v) => v.Value).sort(), await instanceIps(P))
  proxy!.pendingPolls = 0
  const down = await run(['env', 'down', '--yes'])
  assert.equal(down.code, 0, down.stdout + down.stderr)
  assert.deepEqual([...(await zoneRecords(zone)).keys()].sort(), ['pending.test NS', 'pending.test SOA'])
})
