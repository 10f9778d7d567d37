/**
 * Route 53 records when things go wrong (moto behind test/env/route53-proxy.ts, which makes changes PENDING and can
 * answer a CREATE of an existing record as Route 53 does): a change that never gets in sync leaves the new records
 * recorded `pending`, and the next env up adopts them (no manual cleanup); scale records the followed addresses;
 * env down leaves a record changed by hand; a record made by someone else between dops's listing and its change is
 * not overwritten (CREATE, not UPSERT); Ctrl-C stops the INSYNC wait. Oracles: ListResourceRecordSets, the proxy's
 * view of the batches, DescribeInstances, the state file.
 */
import assert from 'node:assert/strict'
import {spawn, type ChildProcess} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, before, test} from 'node:test'
import {BIN, dops} from '../helpers.js'
import {AWS_TEST_ENV, haveMoto, motoAt, startMoto, TEST_CREDS} from './moto.js'
import {startRoute53Proxy, type Route53Proxy} from './route53-proxy.js'

const {port, endpoint, ec2, image} = motoAt(20000)
const skip = haveMoto ? false : "moto is not installed (pip install 'moto[server]')"
let moto: ChildProcess | undefined
let proxy: Route53Proxy | undefined
let ami: string
const dirs: string[] = []

const r53 = async () => {
  const m = await import('@aws-sdk/client-route-53')
  return {m, c: new m.Route53Client({region: 'us-east-1', endpoint, credentials: TEST_CREDS})}
}
async function makeZone(name: string): Promise<string> {
  const {m, c} = await r53()
  return (await c.send(new m.CreateHostedZoneCommand({Name: name, CallerReference: `recovery-${name}-${process.pid}`}))).HostedZone!.Id!.replace('/hostedzone/', '')
}
async function upsert(zone: string, name: string, value: string): Promise<void> {
  const {m, c} = await r53()
  await c.send(new m.ChangeResourceRecordSetsCommand({HostedZoneId: zone, ChangeBatch: {Changes: [{Action: 'UPSERT', ResourceRecordSet: {Name: name, Type: 'A', TTL: 300, ResourceRecords: [{Value: value}]}}]}}))
}
async function zoneRecords(id: string) {
  const {m, c} = await r53()
  const out = await c.send(new m.ListResourceRecordSetsCommand({HostedZoneId: id}))
  return new Map((out.ResourceRecordSets ?? []).map((s) => [`${s.Name!.replace(/\.$/, '')} ${s.Type}`, s]))
}
const values = (s?: import('@aws-sdk/client-route-53').ResourceRecordSet) => (s?.ResourceRecords ?? []).map((v) => v.Value!).sort()
async function instanceIps(project: string): Promise<string[]> {
  const {m, c} = await ec2()
  const r = await c.send(new m.DescribeInstancesCommand({Filters: [{Name: 'tag:dops:project', Values: [project]}, {Name: 'instance-state-name', Values: ['pending', 'running']}]}))
  return (r.Reservations ?? []).flatMap((x) => x.Instances ?? []).map((i) => i.PrivateIpAddress!).sort()
}

type Rec = {name: string; values?: string[]; pending?: boolean}
const dnsState = (dir: string, p: string) => (JSON.parse(readFileSync(path.join(dir, '.dops', 'state', `${p}-prod.json`), 'utf8')) as {resources?: {dns?: {records: Rec[]}}}).resources?.dns

function project(p: string, o: {zone: string; timeout: string; alias: boolean}): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `dops-aws-dns-recovery-${p}-`))
  dirs.push(dir)
  const lb = o.alias ? `    loadBalancers:\n      front:\n        listeners: [{port: 80, targets: site}]\n        targetGroups:\n          site: {group: web, port: 80}\n` : ''
  writeFileSync(
    path.join(dir, 'dops.yml'),
    `version: 1\nproject: ${p}\nproviders:\n  cloud: {type: aws, region: us-east-1, endpoint: "${proxy!.endpoint}", addressing: private, dnsTimeout: ${o.timeout}}\nenvironments:\n  prod:\n` +
      `    groups:\n      web:\n        provider: cloud\n        instance: {count: 1, image: ${ami}, size: t3.micro}\n${lb}` +
      `    dns:\n      zone: ${o.zone}\n      records:\n${o.alias ? '        - {name: www, alias: front}\n' : ''}        - {name: app, group: web}\n`,
  )
  return dir
}
const run = (dir: string, args: string[]) => dops(args, {cwd: dir, env: AWS_TEST_ENV})

before(async () => {
  if (!haveMoto) return
  moto = await startMoto(port)
  proxy = await startRoute53Proxy(port, 0)
  ami = await image()
})
after(() => {
  proxy?.close()
  moto?.kill('SIGKILL')
  for (const d of dirs) rmSync(d, {recursive: true, force: true})
})

test('a change never in sync leaves its records pending; the next env up adopts them; scale records the followed addresses; env down leaves a record changed by hand', {skip, timeout: 600_000}, async () => {
  const P = 'dnsr'
  const zone = await makeZone('recovery.test')
  const dir = project(P, {zone: 'recovery.test', timeout: '2s', alias: true})
  proxy!.pendingPolls = Infinity
  const late = await run(dir, ['env', 'up'])
  assert.equal(late.code, 23, late.stdout + late.stderr)
  assert.match(late.stderr, /is still PENDING after 2 s/)
  const pending = dnsState(dir, P)?.records ?? []
  assert.deepEqual(pending.map((r) => [r.name, r.pending]).sort(), [['app.recovery.test.', true], ['www.recovery.test.', true]], 'recorded pending before the batch was sent')

  // Route 53 got there after all: the next env up finds the zone as dops asked and adopts the records
  proxy!.pendingPolls = 0
  const up = await run(dir, ['env', 'up'])
  assert.equal(up.code, 0, up.stdout + up.stderr)
  assert.doesNotMatch(up.stderr, /not made by dops/)
  assert.deepEqual(dnsState(dir, P)!.records.map((r) => [r.name, r.pending]).sort(), [['app.recovery.test.', undefined], ['www.recovery.test.', undefined]])
  assert.deepEqual(values((await zoneRecords(zone)).get('app.recovery.test A')), await instanceIps(P))

  // scale: the followed addresses are in the zone and in the state (written again after follow)
  const scale = await run(dir, ['scale', 'web=2'])
  assert.equal(scale.code, 0, scale.stdout + scale.stderr)
  assert.equal((await instanceIps(P)).length, 2)
  assert.deepEqual(values((await zoneRecords(zone)).get('app.recovery.test A')), await instanceIps(P))
  assert.deepEqual(dnsState(dir, P)!.records.find((r) => r.name === 'app.recovery.test.')?.values, await instanceIps(P))

  // someone points app elsewhere by hand: env down removes www (as dops set it) and leaves app, saying so
  await upsert(zone, 'app.recovery.test', '192.0.2.99')
  const down = await run(dir, ['env', 'down', '--yes', '--json'])
  assert.equal(down.code, 0, down.stdout + down.stderr)
  assert.match(down.stderr, /record app\.recovery\.test A \(zone recovery\.test\) is no longer what dops set \(192\.0\.2\.99 \(ttl 300\)\): left as it is/)
  const recs = await zoneRecords(zone)
  assert.deepEqual(values(recs.get('app.recovery.test A')), ['192.0.2.99'])
  assert.equal(recs.get('www.recovery.test A'), undefined, 'the alias dops set is gone')
  assert.equal(dnsState(dir, P), undefined)
})

test('a record made by someone else between dops\'s listing and its change is not overwritten (CREATE), nor later taken', {skip, timeout: 600_000}, async () => {
  const P = 'dnsc'
  const zone = await makeZone('race.test')
  const dir = project(P, {zone: 'race.test', timeout: '1m', alias: false})
  proxy!.pendingPolls = 0
  proxy!.strictCreate = true
  let raced = false
  proxy!.beforeBatch = async () => {
    if (raced) return
    raced = true
    await upsert(zone, 'app.race.test', '192.0.2.50')
  }
  const up = await run(dir, ['env', 'up'])
  proxy!.beforeBatch = undefined
  assert.equal(up.code, 23, up.stdout + up.stderr)
  assert.match(proxy!.batches.at(-1)!, /<Action>CREATE<\/Action>/)
  assert.match(up.stderr, /already exists/)
  assert.deepEqual(values((await zoneRecords(zone)).get('app.race.test A')), ['192.0.2.50'], 'the other record is as it was made')
  // recorded pending, but the zone's record is not what dops asked for: not dops's
  const plan = await run(dir, ['env', 'plan'])
  assert.ok(plan.stdout.includes('! record app.race.test A is in zone race.test but was not made by dops'), plan.stdout + plan.stderr)
  const down = await run(dir, ['env', 'down', '--yes'])
  assert.equal(down.code, 0, down.stdout + down.stderr)
  assert.deepEqual(values((await zoneRecords(zone)).get('app.race.test A')), ['192.0.2.50'])
  proxy!.strictCreate = false
})

test('Ctrl-C during the INSYNC wait stops it (exit 6), and the next env up adopts the pending records', {skip, timeout: 600_000}, async () => {
  const P = 'dnsi'
  const zone = await makeZone('stop.test')
  const dir = project(P, {zone: 'stop.test', timeout: '10m', alias: false})
  proxy!.pendingPolls = Infinity
  const polls = proxy!.polls
  const child = spawn(process.execPath, [BIN, 'env', 'up'], {cwd: dir, env: {...process.env, CI: 'true', ...AWS_TEST_ENV}})
  let stderr = ''
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)))
  // once it polls GetChange (the batch was sent), Ctrl-C
  for (let i = 0; i < 1200 && proxy!.polls === polls && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 250))
  assert.ok(proxy!.polls > polls, `it polled GetChange: ${stderr}`)
  child.kill('SIGINT')
  const code = await exited
  assert.match(stderr, /dns: stopped while Route 53 change \S+ in zone \S+ was still PENDING/)
  assert.equal(code, 6, stderr)
  proxy!.pendingPolls = 0
  const up = await run(dir, ['env', 'up'])
  assert.equal(up.code, 0, up.stdout + up.stderr)
  assert.deepEqual(values((await zoneRecords(zone)).get('app.stop.test A')), await instanceIps(P))
  assert.equal((await run(dir, ['env', 'down', '--yes'])).code, 0)
  assert.equal((await zoneRecords(zone)).get('app.stop.test A'), undefined)
})

test('with zoneId, an absolute name outside the zone (validate cannot know the zone\'s name): env plan fails naming the record, nothing changed', {skip, timeout: 120_000}, async () => {
  const zone = await makeZone('byid.test')
  const dir = project('dnsz', {zone: 'byid.test', timeout: '1m', alias: false})
  writeFileSync(path.join(dir, 'dops.yml'), readFileSync(path.join(dir, 'dops.yml'), 'utf8').replace('zone: byid.test', `zoneId: ${zone}`).replace('{name: app, group: web}', '{name: app.other.test., group: web}'))
  const plan = await run(dir, ['env', 'plan'])
  assert.equal(plan.code, 2, plan.stdout + plan.stderr)
  assert.match(plan.stderr, new RegExp(`dns\\.records\\[0\\] of environment prod \\(\`app\\.other\\.test\\.\`\\): record app\\.other\\.test is not inside zone byid\\.test \\(${zone}\\)`))
  assert.doesNotMatch(plan.stderr, /\n\s+at /, 'no stack trace')
  assert.deepEqual([...(await zoneRecords(zone)).keys()].sort(), ['byid.test NS', 'byid.test SOA'])
})
