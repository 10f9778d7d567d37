/**
 * `dns:` checks through `dops validate`: each bad record exits 2 with file:line:col and the field, and a valid
 * `dns:` passes. Names are checked against the zone as the Route 53 code resolves them (`fullName`).
 */
import assert from 'node:assert/strict'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, test} from 'node:test'
import {dops} from '../helpers.js'
import {fullName} from '../../src/providers/aws/dns-names.js'

const dir = mkdtempSync(path.join(os.tmpdir(), 'dops-dns-checks-'))
after(() => rmSync(dir, {recursive: true, force: true}))

const plan = (dns: string) =>
  `version: 1\nproject: d\nproviders:\n  cloud: {type: aws, region: us-east-1}\nenvironments:\n  prod:\n    groups:\n      web:\n        provider: cloud\n        instance: {count: 1, image: ami-1, size: t3.micro}\n` +
  `    loadBalancers:\n      front:\n        listeners: [{port: 80, targets: web-80}]\n        targetGroups:\n          web-80: {group: web, port: 80}\n    dns:\n${dns}`

let n = 0
async function expectProblem(text: string, marker: string, message: RegExp, field: string): Promise<void> {
  const file = path.join(dir, `p${++n}.yml`)
  writeFileSync(file, text)
  const idx = text.indexOf(marker)
  assert.ok(idx >= 0, `marker ${marker} in the plan`)
  const line = text.slice(0, idx).split('\n').length
  const col = idx - text.lastIndexOf('\n', idx - 1)
  const r = await dops(['validate', '-f', file])
  assert.equal(r.code, 2, `exit 2 expected for ${marker}: ${r.stdout}${r.stderr}`)
  const want = `${path.basename(file)}:${line}:${col}: ${field}: `
  const found = r.stderr.split('\n').find((l) => l.includes(want))
  assert.ok(found, `expected "${want}" in:\n${r.stderr}`)
  assert.match(found, message)
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace')
}

test('a valid dns section validates (alias, group records, apex, full name in the zone, zoneId)', async () => {
  for (const [i, dns] of [
    `      zone: example.test\n      ttl: 30\n      records:\n        - {name: www, alias: front}\n        - {name: "@", alias: front}\n        - {name: app.example.test., group: web, ttl: 10}\n        - {name: api.eu, group: web}\n`,
    `      zoneId: Z123\n      provider: cloud\n      records:\n        - {name: www, alias: front}\n`,
  ].entries()) {
    const file = path.join(dir, `ok${i}.yml`)
    writeFileSync(file, plan(dns))
    const r = await dops(['validate', '-f', file])
    assert.equal(r.code, 0, r.stdout + r.stderr)
  }
})

test('bad dns records: each one located, exit 2', async () => {
  const one = (rec: string) => plan(`      zone: example.test\n      records:\n${rec}`)
  await expectProblem(one(`        - {name: www, alias: frnt}\n`), 'frnt', /alias `frnt` is not a load balancer of environment prod; did you mean `front`\?/, 'environments.prod.dns.records[0].alias')
  await expectProblem(one(`        - {name: app, group: wbe}\n`), 'wbe', /group `wbe` is not a group of environment prod; did you mean `web`\?/, 'environments.prod.dns.records[0].group')
  await expectProblem(one(`        - {name: www, alias: front, ttl: 30}\n`), '30}', /an alias record has no TTL/, 'environments.prod.dns.records[0].ttl')
  await expectProblem(one(`        - {name: app.other.test., group: web}\n`), 'app.other.test.', /record name `app.other.test.` is not inside zone example.test/, 'environments.prod.dns.records[0].name')
  await expectProblem(one(`        - {name: "a..b", group: web}\n`), '"a..b"', /has an empty label/, 'environments.prod.dns.records[0].name')
  await expectProblem(one(`        - {name: "we b", group: web}\n`), '"we b"', /label `we b` is not a DNS label/, 'environments.prod.dns.records[0].name')
  await expectProblem(one(`        - {name: app, group: web}\n        - {name: app.example.test, alias: front}\n`), 'app.example.test', /record app.example.test is already listed \(records\[0\]\)/, 'environments.prod.dns.records[1].name')
  await expectProblem(
    plan(`      zone: example.test\n      provider: cloud\n      records:\n        - {name: www, alias: dev}\n`).replace('    dns:\n', '      dev:\n        provider: box\n        listeners: [{port: 80, targets: loc}]\n        targetGroups:\n          loc: {group: web, port: 8080}\n    dns:\n').replace('providers:\n', 'providers:\n  box: {type: local}\n'),
    'dev}',
    /load balancer `dev` is made by provider `box` \(type local\): a Route 53 alias \(provider `cloud`\) points only at an aws load balancer/,
    'environments.prod.dns.records[0].alias',
  )
  await expectProblem(plan(`      zone: example.test\n      provider: clod\n      records:\n        - {name: www, alias: front}\n`), 'clod', /provider `clod` is not defined under `providers`; did you mean `cloud`\?/, 'environments.prod.dns.provider')
})

test('with zoneId (the zone\'s name unknown to validate): a name listed twice, absolute or relative, is located', async () => {
  const byId = (rec: string) => plan(`      zoneId: Z123\n      provider: cloud\n      records:\n${rec}`)
  await expectProblem(byId(`        - {name: app.example.test., group: web}\n        - {name: App.Example.Test., alias: front}\n`), 'App.Example.Test.', /record app.example.test is already listed \(records\[0\]\)/, 'environments.prod.dns.records[1].name')
  await expectProblem(byId(`        - {name: www, group: web}\n        - {name: WWW, alias: front}\n`), 'WWW', /record www \(in zone Z123\) is already listed \(records\[0\]\)/, 'environments.prod.dns.records[1].name')
})

test('record names resolve in the zone: relative, apex, full, absolute', () => {
  assert.equal(fullName('www', 'example.test'), 'www.example.test.')
  assert.equal(fullName('@', 'Example.Test.'), 'example.test.')
  assert.equal(fullName('App.Example.Test', 'example.test'), 'app.example.test.')
  assert.equal(fullName('api.eu', 'example.test'), 'api.eu.example.test.')
  assert.equal(fullName('x.other.test.', 'example.test'), 'x.other.test.')
})
