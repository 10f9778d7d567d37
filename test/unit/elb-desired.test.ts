/**
 * The aws load balancer's pure decisions: what a target group's health check is when the plan leaves keys out (AWS's
 * defaults, so removing a key brings the default back and a second plan is a no-op), what differs from an observed
 * target group, when a change needs a new target group, listener rule priorities, and the default firewall.
 */
import assert from 'node:assert/strict'
import {test} from 'node:test'
import {desiredListeners, desiredTg, healthDiff, healthParams, lbFirewall, mustReplace} from '../../src/providers/aws/elb-desired.js'
import type {LoadBalancerSpec} from '../../src/plan/types.js'

const alb: LoadBalancerSpec = {listeners: [{port: 80, targets: 'web', rules: [{path: '/api/*', targets: 'api'}, {host: 'a.example', targets: 'api', priority: 7}]}, {port: 8080, targets: 'api'}], targetGroups: {web: {group: 'web', port: 80}, api: {group: 'api', port: 8080, protocol: 'HTTP', healthCheck: {path: '/health', interval: '10s', timeout: 3, matcher: '200-299'}, deregistrationDelay: '30s'}}}
const nlb: LoadBalancerSpec = {type: 'network', listeners: [{port: 5432, targets: 'pg'}], targetGroups: {pg: {group: 'db', port: 5432}}}

test('a target group the plan says little about gets the defaults AWS gives (HTTP on an ALB, TCP on an NLB)', () => {
  const web = desiredTg(alb, 'web', alb.targetGroups.web!)
  assert.deepEqual(web, {key: 'web', group: 'web', port: 80, protocol: 'HTTP', health: {protocol: 'HTTP', path: '/', matcher: '200', port: 'traffic-port', interval: 30, timeout: 5, healthy: 5, unhealthy: 2}, delay: 300})
  const pg = desiredTg(nlb, 'pg', nlb.targetGroups.pg!)
  assert.deepEqual(pg.health, {protocol: 'TCP', port: 'traffic-port', interval: 30, timeout: 10, healthy: 5, unhealthy: 2})
  assert.equal(pg.protocol, 'TCP')
  assert.equal('HealthCheckPath' in healthParams(pg.health), false, 'a TCP health check has no path or matcher')
  const api = desiredTg(alb, 'api', alb.targetGroups.api!)
  assert.deepEqual([api.health.interval, api.health.timeout, api.health.path, api.health.matcher, api.delay], [10, 3, '/health', '200-299', 30])
})

test('health check differences are named field by field; equal ones give none; port or protocol need a new target group', () => {
  const want = desiredTg(alb, 'api', alb.targetGroups.api!)
  const same = {Port: 8080, Protocol: 'HTTP' as const, HealthCheckProtocol: 'HTTP' as const, HealthCheckPath: '/health', HealthCheckPort: 'traffic-port', HealthCheckIntervalSeconds: 10, HealthCheckTimeoutSeconds: 3, HealthyThresholdCount: 5, UnhealthyThresholdCount: 2, Matcher: {HttpCode: '200-299'}}
  assert.deepEqual(healthDiff(want.health, same), [])
  assert.deepEqual(healthDiff(want.health, {...same, HealthCheckPath: '/', HealthCheckIntervalSeconds: 30}), ['health check path / -> /health', 'health check interval 30s -> 10s'])
  assert.equal(mustReplace(want, same), false)
  assert.equal(mustReplace(want, {...same, Port: 80}), true)
  assert.equal(mustReplace(want, {...same, Protocol: 'HTTPS'}), true)
})

test('listener rules take their place as priority unless given; an NLB has none; the default firewall opens each listener port', () => {
  const ls = desiredListeners(alb)
  assert.deepEqual(ls[0]!.rules.map((r) => [r.priority, r.conditions, r.targets]), [[1, [{Field: 'path-pattern', Values: ['/api/*']}], 'api'], [7, [{Field: 'host-header', Values: ['a.example']}], 'api']])
  assert.deepEqual(desiredListeners({...nlb, listeners: [{port: 1, targets: 'pg', rules: [{path: '/x', targets: 'pg'}]}]})[0]!.rules, [])
  assert.deepEqual(lbFirewall(alb), [{port: 80, from: ['0.0.0.0/0']}, {port: 8080, from: ['0.0.0.0/0']}])
  assert.deepEqual(lbFirewall({...alb, firewall: [{port: 443, from: ['10.0.0.0/8']}]}), [{port: 443, from: ['10.0.0.0/8']}])
})
