/**
 * `loadBalancers:` and apps' `traffic.targetGroup` checks through `dops validate`: each bad plan exits 2 with
 * file:line:col, the field and what was expected, never a stack trace; a valid plan passes.
 */
import assert from 'node:assert/strict'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, test} from 'node:test'
import {dops} from '../helpers.js'

const dir = mkdtempSync(path.join(os.tmpdir(), 'dops-lb-checks-'))
after(() => rmSync(dir, {recursive: true, force: true}))
mkdirSync(path.join(dir, 'app', 'site'), {recursive: true})
writeFileSync(path.join(dir, 'app', 'site', 'index.html'), 'hi\n')
writeFileSync(path.join(dir, 'app', 'appspec.yml'), 'version: 0.0\nos: linux\nfiles:\n  - source: site\n    destination: /var/www/app\n')

const head = (traffic = '') =>
  `version: 1\nproject: lbc\nproviders:\n  cloud: {type: aws, region: us-east-1}\napps:\n  api: {source: ./app${traffic}}\nenvironments:\n  prod:\n    groups:\n` +
  `      web:\n        provider: cloud\n        instance: {count: 2, image: ami-1, size: t3.micro}\n        apps: [api]\n` +
  `      pool:\n        provider: cloud\n        instance: {count: 1, image: ami-1, size: t3.micro, autoScaling: {min: 1, max: 3}}\n` +
  `      old:\n        hosts: [10.0.0.9]\n    loadBalancers:\n`

const good = `      front:\n        listeners:\n          - port: 80\n            targets: web-80\n            rules: [{path: /api/*, targets: pool-8080}]\n        targetGroups:\n          web-80: {group: web, port: 80, healthCheck: {path: /health, interval: 10s, timeout: 5s}}\n          pool-8080: {group: pool, port: 8080}\n`

let n = 0
async function validate(plan: string) {
  const file = path.join(dir, `p${++n}.yml`)
  writeFileSync(file, plan)
  return {file, r: await dops(['validate', '-f', file])}
}

/** The problem expected at the `nth` occurrence of `marker` (its line and column). */
async function expectProblem(plan: string, marker: string, message: RegExp, field: string, nth = 1): Promise<void> {
  let idx = -1
  for (let i = 0; i < nth; i++) idx = plan.indexOf(marker, idx + 1)
  assert.ok(idx >= 0, `marker ${marker} in the plan`)
  const line = plan.slice(0, idx).split('\n').length
  const col = idx - plan.lastIndexOf('\n', idx - 1)
  const {file, r} = await validate(plan)
  assert.equal(r.code, 2, `exit 2 expected for ${marker}: ${r.stdout}${r.stderr}`)
  const want = `${path.basename(file)}:${line}:${col}: ${field}: `
  const found = r.stderr.split('\n').find((l) => l.includes(want))
  assert.ok(found, `expected "${want}" in:\n${r.stderr}`)
  assert.match(found, message)
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace')
}

test('a valid loadBalancers section and an app whose traffic names its target group validate', async () => {
  const {r} = await validate(head(', traffic: {targetGroup: web-80}') + good)
  assert.equal(r.code, 0, r.stdout + r.stderr)
})

test('a target group whose group is not in the environment', async () => {
  await expectProblem(head() + good.replace('group: pool,', 'group: poool,'), 'poool', /group `poool` is not a group of environment prod; did you mean `pool`\?/, 'environments.prod.loadBalancers.front.targetGroups.pool-8080.group')
})

test('a listener or rule forwarding to a target group its load balancer does not have', async () => {
  await expectProblem(head() + good.replace('targets: web-80', 'targets: web-8O'), 'web-8O', /`web-8O` is not a target group of load balancer front; did you mean `web-80`\?/, 'environments.prod.loadBalancers.front.listeners[0].targets')
  await expectProblem(head() + good.replace('targets: pool-8080}', 'targets: nope}'), 'nope', /`nope` is not a target group of load balancer front/, 'environments.prod.loadBalancers.front.listeners[0].rules[0].targets')
})

test('a target group name used by two load balancers of the environment', async () => {
  const second = `      back:\n        type: network\n        listeners: [{port: 5432, targets: web-80}]\n        targetGroups:\n          web-80: {group: web, port: 5432}\n`
  await expectProblem(head() + good + second, 'web-80: {group: web, port: 5432}', /also a target group of load balancer front: target group names must be unique in environment prod/, 'environments.prod.loadBalancers.back.targetGroups.web-80')
})

test('protocols that do not fit the type, and a secure listener without a certificate', async () => {
  await expectProblem(head() + good.replace('port: 8080}', 'port: 8080, protocol: TCP}'), 'TCP', /protocol TCP does not fit an application load balancer: expected one of HTTP, HTTPS/, 'environments.prod.loadBalancers.front.targetGroups.pool-8080.protocol')
  const nlb = `      nlb:\n        type: network\n        listeners: [{port: 443, protocol: HTTP, targets: tcp}]\n        targetGroups:\n          tcp: {group: web, port: 443}\n`
  await expectProblem(head() + nlb, 'HTTP, targets: tcp', /protocol HTTP does not fit a network load balancer: expected one of TCP, TLS, UDP, TCP_UDP/, 'environments.prod.loadBalancers.nlb.listeners[0].protocol')
  await expectProblem(head() + good.replace('- port: 80\n', '- port: 443\n            protocol: HTTPS\n'), 'port: 443', /a HTTPS listener needs `certificate`/, 'environments.prod.loadBalancers.front.listeners[0]')
})

test('an aws load balancer forwarding to static hosts, and a health check timeout not below its interval', async () => {
  await expectProblem(head() + good.replace('group: pool,', 'group: old,'), 'old,', /group `old` is not an aws group \(its provider type is static\)/, 'environments.prod.loadBalancers.front.targetGroups.pool-8080.group')
  await expectProblem(head() + good.replace('timeout: 5s', 'timeout: 10s'), '10s}}', /health check timeout \(10s\) must be shorter than its interval \(10s\)/, 'environments.prod.loadBalancers.front.targetGroups.web-80.healthCheck.timeout')
})

test('an app whose traffic.targetGroup is not a target group of an environment where it runs, or forwards to another group', async () => {
  await expectProblem(head(', traffic: {targetGroup: web-81}') + good, 'web-81', /`web-81` is not a target group of a load balancer of environment prod, where group web runs app api; did you mean `web-80`\?/, 'apps.api.traffic.targetGroup')
  await expectProblem(head(', traffic: {targetGroup: pool-8080}') + good, 'pool-8080}', /target group `pool-8080` \(load balancer front of environment prod\) forwards to group pool, which does not run app api \(web do\)/, 'apps.api.traffic.targetGroup')
})

test('a traffic.timeout not above the target group\'s deregistration delay (set, or the AWS default 300s)', async () => {
  await expectProblem(head(', traffic: {targetGroup: web-80, timeout: 2m}') + good, '2m', /traffic\.timeout \(2m\) must be longer than the deregistration delay of target group `web-80` \(load balancer front of environment prod: 300s, the AWS default\)/, 'apps.api.traffic.timeout')
  const delayed = good.replace('web-80: {group: web, port: 80,', 'web-80: {group: web, port: 80, deregistrationDelay: 30s,')
  await expectProblem(head(', traffic: {targetGroup: web-80, timeout: 30s}') + delayed, '30s}', /must be longer than the deregistration delay of target group `web-80` \(load balancer front of environment prod: 30s\)/, 'apps.api.traffic.timeout')
  const {r} = await validate(head(', traffic: {targetGroup: web-80, timeout: 31s}') + delayed)
  assert.equal(r.code, 0, r.stdout + r.stderr)
})
