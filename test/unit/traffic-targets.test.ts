/** Target-group traffic control's pure decisions: which load balancer owns a target group, what a health state means, membership changes. */
import assert from 'node:assert/strict'
import {test} from 'node:test'
import {checkTraffic, resourceScope, trafficLabel} from '../../src/deploy/traffic.js'
import {parsePlan} from '../../src/plan/load.js'
import {trafficTimeoutMs} from '../../src/providers/aws/targets.js'
import {healthText, isIn, isOut, lbProviderName, locateTargetGroup, membershipChanges, pollDelay} from '../../src/providers/aws/targets-logic.js'
import type {EnvironmentSpec} from '../../src/plan/types.js'

const env: EnvironmentSpec = {
  groups: {web: {provider: 'cloud'}, api: {provider: 'sandbox'}},
  loadBalancers: {
    front: {listeners: [{port: 80, targets: 'web-80'}], targetGroups: {'web-80': {group: 'web', port: 80}, 'web-8080': {group: 'web', port: 8080}}},
    inner: {provider: 'other', listeners: [{port: 80, targets: 'api-80'}], targetGroups: {'api-80': {group: 'api', port: 80}}},
    twin: {listeners: [{port: 81, targets: 'api-80'}], targetGroups: {'api-80': {group: 'api', port: 80}}},
  },
}

test('a target group is found in the load balancer that has it; missing or ambiguous ones are said so', () => {
  const own = locateTargetGroup(env, 'web-8080')
  assert.ok(typeof own !== 'string')
  assert.equal(own.lb, 'front')
  assert.deepEqual(own.tgSpec, {group: 'web', port: 8080})
  assert.equal(locateTargetGroup(env, 'nope'), 'target group `nope` is not under any of the environment\'s loadBalancers (target groups: web-80 (load balancer front), web-8080 (load balancer front), api-80 (load balancer inner), api-80 (load balancer twin))')
  assert.match(locateTargetGroup(env, 'api-80') as string, /is in several load balancers \(inner, twin\)/)
  assert.match(locateTargetGroup({}, 'x') as string, /target groups: none/)
  // a prototype key is no target group
  assert.equal(typeof locateTargetGroup(env, 'constructor'), 'string')
})

test('a load balancer\'s provider: its own, else that of its first target group\'s group', () => {
  assert.equal(lbProviderName(env, env.loadBalancers!.front!), 'cloud')
  assert.equal(lbProviderName(env, env.loadBalancers!.inner!), 'other')
  assert.equal(lbProviderName(env, {listeners: [], targetGroups: {x: {group: 'gone', port: 1}}}), 'static')
  assert.equal(lbProviderName({...env, provider: 'cloud'}, {listeners: [], targetGroups: {x: {group: 'gone', port: 1}}}), 'cloud', 'the environment\'s default provider')
})

test('health states: out = absent or unused; in = healthy; draining and the rest wait', () => {
  assert.ok(isOut({state: 'absent'}))
  assert.ok(isOut({state: 'unused', reason: 'Target.NotRegistered'}))
  for (const s of ['draining', 'healthy', 'initial', 'unhealthy']) assert.ok(!isOut({state: s}), s)
  assert.ok(isIn({state: 'healthy'}))
  for (const s of ['initial', 'unhealthy', 'unused', 'draining', 'absent', 'unavailable']) assert.ok(!isIn({state: s}), s)
  assert.equal(healthText({state: 'draining', reason: 'Target.DeregistrationInProgress', description: 'Target deregistration is in progress'}), 'draining (Target.DeregistrationInProgress: Target deregistration is in progress)')
  assert.equal(healthText({state: 'absent'}), 'not registered')
  assert.deepEqual([0, 1, 2, 3, 10].map(pollDelay), [250, 500, 1000, 2000, 2000])
})

test('membership changes: register the missing, deregister the gone; after a first pass only newcomers are registered', () => {
  const current = new Map([
    ['i-a', {state: 'healthy'}],
    ['i-b', {state: 'unhealthy'}],
    ['i-old', {state: 'healthy'}],
    ['i-going', {state: 'draining'}],
  ])
  assert.deepEqual(membershipChanges(['i-c', 'i-a', 'i-b', 'i-going'], current), {register: ['i-c', 'i-going'], deregister: ['i-old']})
  // i-x was a member before and is out now (a deploy took it out): left alone; i-new joined since
  const now = new Map([['i-a', {state: 'healthy'}]])
  assert.deepEqual(membershipChanges(['i-a', 'i-x', 'i-new'], now, new Set(['i-a', 'i-x'])), {register: ['i-new'], deregister: []})
  assert.deepEqual(membershipChanges([], new Map([['i-z', {state: 'unused'}]])), {register: [], deregister: []}, 'an unused target is not registered: nothing to deregister')
})

const plan = (traffic: string) =>
  parsePlan(
    '/nowhere/dops.yml',
    `version: 1\nproject: p\nproviders:\n  cloud: {type: aws, region: eu-west-1}\napps:\n  web:\n    source: ./app\n    traffic: ${traffic}\n  other:\n    source: ./app\n    traffic: {targetGroup: web-80, timeout: 90s}\nenvironments:\n  prod:\n    loadBalancers:\n      front:\n        listeners: [{port: 80, targets: web-80}]\n        targetGroups:\n          web-80: {group: web, port: 80, deregistrationDelay: 30s}\n    groups:\n      web: {provider: cloud, apps: [web], instance: {count: 1}}\n      lb: {hosts: [a]}\n`,
  ).loaded

test('labels and checks of an app\'s traffic; the timeout is the longest of the apps on the target group', () => {
  const tg = plan('{targetGroup: web-80, timeout: 2m}')
  assert.equal(trafficLabel(tg, 'prod', {targetGroup: 'web-80'}), 'target group web-80 (load balancer front)')
  assert.equal(trafficLabel(tg, 'prod', {group: 'lb', block: 'x', allow: 'y'}), 'commands on group lb')
  checkTraffic(tg, 'prod', 'web', {targetGroup: 'web-80'})
  assert.throws(() => checkTraffic(tg, 'prod', 'web', {targetGroup: 'web-81'}), /apps\.web\.traffic\.targetGroup: environment prod: target group `web-81` is not under/)
  assert.throws(() => checkTraffic(tg, 'prod', 'web', {group: 'nope', block: 'x', allow: 'y'}), /apps\.web\.traffic\.group `nope` is not a group of environment prod/)
  const s = resourceScope(tg, 'prod')
  assert.deepEqual(s.provider('cloud'), {name: 'cloud', type: 'aws', settings: {type: 'aws', region: 'eu-west-1'}})
  assert.equal(s.provider('static').type, 'static')
  assert.equal(trafficTimeoutMs(s, 'web-80'), 120_000)
  // no timeout given: the deregistration delay (AWS default 300 s) and a minute, so draining cannot race the timeout
  assert.equal(trafficTimeoutMs(s, 'elsewhere'), 360_000)
  assert.equal(trafficTimeoutMs(s, 'elsewhere', 30_000), 90_000)
  assert.equal(trafficTimeoutMs(resourceScope(plan('{targetGroup: web-80}'), 'prod'), 'web-80'), 90_000)
})
