/**
 * DNS records of static hosts, and providers without DNS. With `dns.provider` naming an aws provider, a static
 * group's hosts get A records in Route 53 (moto): their IPv4 addresses (a host known by a DNS name has none), kept
 * in step as hosts leave the plan; records dropped from the plan are deleted; records moved to another zone leave
 * the old one. With no aws provider, `dns:` is
 * reported as ignored by env plan and env up, and nothing is recorded. Oracles: ListResourceRecordSets, the state.
 */
import assert from 'node:assert/strict'
import type {ChildProcess} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, before, test} from 'node:test'
import {dops} from '../helpers.js'
import {AWS_TEST_ENV, haveMoto, motoAt, startMoto, TEST_CREDS} from './moto.js'

const {port, endpoint} = motoAt(18000)
const skip = haveMoto ? false : "moto is not installed (pip install 'moto[server]')"
let moto: ChildProcess | undefined
const dirs: string[] = []

const r53 = async () => {
  const m = await import('@aws-sdk/client-route-53')
  return {m, c: new m.Route53Client({region: 'us-east-1', endpoint, credentials: TEST_CREDS})}
}
async function zoneRecords(id: string) {
  const {m, c} = await r53()
  const out = await c.send(new m.ListResourceRecordSetsCommand({HostedZoneId: id}))
  return new Map((out.ResourceRecordSets ?? []).map((s) => [`${s.Name!.replace(/\.$/, '')} ${s.Type}`, (s.ResourceRecords ?? []).map((v) => v.Value!).sort()]))
}

function project(name: string, body: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `dops-dns-static-${name}-`))
  dirs.push(dir)
  writeFileSync(path.join(dir, 'dops.yml'), body)
  return dir
}
const run = (dir: string, args: string[]) => dops(args, {cwd: dir, env: AWS_TEST_ENV})
const state = (dir: string, p: string) => JSON.parse(readFileSync(path.join(dir, '.dops', 'state', `${p}-prod.json`), 'utf8')) as {resources?: {dns?: unknown}; static?: Record<string, {hosts: Array<{address: string}>}>}

before(async () => {
  if (haveMoto) moto = await startMoto(port)
})
after(() => {
  moto?.kill('SIGKILL')
  for (const d of dirs) rmSync(d, {recursive: true, force: true})
})

test('A records of a static group through an aws provider: the hosts\' IPv4 addresses, following the plan\'s hosts; a record dropped from the plan is deleted; a move to another zone', {skip, timeout: 300_000}, async () => {
  const {m, c} = await r53()
  const zone = (await c.send(new m.CreateHostedZoneCommand({Name: 'static.test', CallerReference: `static-${process.pid}`}))).HostedZone!.Id!.replace('/hostedzone/', '')
  const plan = (hosts: string, records = `        - {name: app, group: web}\n        - {name: "@", group: web, ttl: 120}\n`) =>
    `version: 1\nproject: dnss\nproviders:\n  cloud: {type: aws, endpoint: "${endpoint}"}\nenvironments:\n  prod:\n    groups:\n      web:\n        hosts: [${hosts}]\n` +
    `    dns:\n      provider: cloud\n      zone: static.test\n      records:\n${records}`
  const dir = project('a', plan('192.0.2.1, 192.0.2.2, web3.internal'))
  const up = await run(dir, ['env', 'up'])
  assert.equal(up.code, 0, up.stdout + up.stderr)
  const ipv4 = () => state(dir, 'dnss').static!.web!.hosts.map((h) => h.address).filter((a) => /^\d+\.\d+\.\d+\.\d+$/.test(a)).sort()
  assert.equal(ipv4().length, 2)
  let recs = await zoneRecords(zone)
  assert.deepEqual(recs.get('app.static.test A'), ipv4(), 'the static hosts\' IPv4 addresses (web3.internal has none)')
  assert.deepEqual(recs.get('static.test A'), ipv4(), '`@` is the apex')
  assert.equal((await run(dir, ['env', 'plan', '--detailed-exitcode'])).code, 0)

  // a host leaves the plan: the A records follow
  writeFileSync(path.join(dir, 'dops.yml'), plan('192.0.2.2, web3.internal'))
  const leave = await run(dir, ['env', 'up'])
  assert.equal(leave.code, 0, leave.stdout + leave.stderr)
  recs = await zoneRecords(zone)
  assert.deepEqual(ipv4(), ['192.0.2.2'])
  assert.deepEqual(recs.get('app.static.test A'), ipv4())
  assert.deepEqual(recs.get('static.test A'), ipv4())

  // the apex record dropped from the plan: planned as a removal, then deleted; app stays
  writeFileSync(path.join(dir, 'dops.yml'), plan('192.0.2.2, web3.internal', `        - {name: app, group: web}\n`))
  const p = await run(dir, ['env', 'plan', '--detailed-exitcode'])
  assert.equal(p.code, 10, p.stdout + p.stderr)
  assert.ok(p.stdout.includes('- record static.test A'), p.stdout)
  assert.equal((await run(dir, ['env', 'up'])).code, 0)
  recs = await zoneRecords(zone)
  assert.equal(recs.get('static.test A'), undefined)
  assert.deepEqual(recs.get('app.static.test A'), ['192.0.2.2'])

  // the records move to another zone: made there, then the old zone's go
  const other = (await c.send(new m.CreateHostedZoneCommand({Name: 'other.test', CallerReference: `other-${process.pid}`}))).HostedZone!.Id!.replace('/hostedzone/', '')
  writeFileSync(path.join(dir, 'dops.yml'), plan('192.0.2.2, web3.internal', `        - {name: app, group: web}
`).replace('zone: static.test', 'zone: other.test'))
  const moved = await run(dir, ['env', 'plan'])
  for (const l of ['+ record app.other.test A 192.0.2.2 (group web, ttl 60)', '- record app.static.test A (zone static.test)']) assert.ok(moved.stdout.includes(l), `${l} in:\n${moved.stdout}`)
  assert.equal((await run(dir, ['env', 'up'])).code, 0)
  assert.deepEqual((await zoneRecords(other)).get('app.other.test A'), ['192.0.2.2'])
  assert.deepEqual([...(await zoneRecords(zone)).keys()].sort(), ['static.test NS', 'static.test SOA'])
  // the provider that made them gone from the plan: dops says so instead of guessing where they are
  const body = plan('192.0.2.2, web3.internal', `        - {name: app, group: web}\n`).replace('zone: static.test', 'zone: other.test')
  writeFileSync(path.join(dir, 'dops.yml'), body.replaceAll('cloud', 'cloud2'))
  const lost = await run(dir, ['env', 'plan'])
  assert.equal(lost.code, 23, lost.stdout + lost.stderr)
  assert.match(lost.stderr, /were made through provider `cloud`, which the plan no longer defines as an aws provider/)
  writeFileSync(path.join(dir, 'dops.yml'), body)
  const down = await run(dir, ['env', 'down', '--yes'])
  assert.equal(down.code, 0, down.stdout + down.stderr)
  assert.deepEqual([...(await zoneRecords(other)).keys()].sort(), ['other.test NS', 'other.test SOA'])
})

test('a provider without DNS: env plan and env up say `dns:` is ignored by it, and nothing is recorded', async () => {
  const dir = project('ign', `version: 1\nproject: dnsi\nproviders:\n  dev: {type: local}\nenvironments:\n  prod:\n    groups:\n      web:\n        hosts: [192.0.2.1]\n    dns:\n      zone: example.test\n      records:\n        - {name: app, group: web}\n`)
  const plan = await run(dir, ['env', 'plan', '--json'])
  assert.equal(plan.code, 0, plan.stdout + plan.stderr)
  const r = JSON.parse(plan.stdout) as {resources?: Array<{key: string; ignored: string[]}>; steps: Array<{kind: string}>}
  const dns = r.resources?.find((x) => x.key === 'dns')
  assert.ok(dns, plan.stdout)
  assert.match(dns.ignored.join('\n'), /provider `static` \(type static\) makes no DNS records/)
  assert.ok(!r.steps.some((s) => s.kind === 'resources'), 'nothing to make')
  const up = await run(dir, ['env', 'up'])
  assert.equal(up.code, 0, up.stdout + up.stderr)
  assert.match(up.stderr, /dns: ignored by its provider: .*makes no DNS records/)
  assert.equal(state(dir, 'dnsi').resources?.dns, undefined)
})
