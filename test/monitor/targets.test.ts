/** The target files' content (pure): exporters merged plan < group, labels, IPv6, ready hosts only, no revision. */
import assert from 'node:assert/strict'
import {test} from 'node:test'
import {exportersOf, groupTargets, hostPort, monitoredHosts, targetFileName} from '../../src/monitor/targets.js'
import type {EnvState} from '../../src/state/local-file.js'

const m = {targets: {dir: 't'}, exporters: {node: 9100, app: {port: 8000, path: '/stats'}}, labels: {team: 'shop', group: 'not-this'}}

test('a group adds exporters, turns one off with false, or turns monitoring off', () => {
  assert.deepEqual(exportersOf(m, {monitoring: {exporters: {app: false, pg: {port: 9187, scheme: 'https'}}}}), [['node', {port: 9100}], ['pg', {port: 9187, scheme: 'https'}]])
  assert.deepEqual(exportersOf(m, {monitoring: false}), [])
  assert.deepEqual(exportersOf(m, {}).map(([n]) => n), ['app', 'node'])
})

test('labels: dops labels beat the plan\'s, role from the host\'s labels, path and scheme as Prometheus labels', () => {
  const g = groupTargets({project: 'p', env: 'e', group: 'web', spec: {monitoring: {labels: {tier: 'front'}, exporters: {pg: {port: 9187, scheme: 'https'}}}}, monitoring: m, hosts: [{name: 'web-2', address: '::1', labels: {}}, {name: 'web-1', address: '10.0.0.1', labels: {role: 'frontend'}}]})
  assert.equal(g.file, 'dops_p_e_web.json')
  assert.deepEqual(g.targets.map((t) => t.targets[0]), ['10.0.0.1:8000', '10.0.0.1:9100', '10.0.0.1:9187', '[::1]:8000', '[::1]:9100', '[::1]:9187'])
  assert.deepEqual(g.targets[0]!.labels, {team: 'shop', group: 'web', tier: 'front', project: 'p', env: 'e', role: 'frontend', host: 'web-1', exporter: 'app', __metrics_path__: '/stats'})
  assert.equal(g.targets[2]!.labels.__scheme__, 'https')
  assert.equal(g.targets[3]!.labels.role, 'web', 'no role label: the group')
})

test('only ready hosts are monitored; static groups from their joined hosts', () => {
  const state: EnvState = {version: 1, project: 'p', env: 'e', groups: {web: {provider: 'local', instances: [
    {id: '1', name: 'web-1', address: '127.0.0.2', port: 22, user: 'root', createdAt: '', ready: true, data: {}},
    {id: '2', name: 'web-2', address: '127.0.0.3', port: 22, user: 'root', createdAt: '', ready: false, data: {}},
    {id: '3', name: 'web-3', address: '127.0.0.4', port: 22, user: 'root', createdAt: '', data: {}},
  ]}}, static: {db: {hosts: [{name: 'db1', address: '10.1.1.1', joinedAt: '', ready: true}]}}}
  assert.deepEqual(monitoredHosts(state, 'web', () => ({})).map((h) => h.name), ['web-1', 'web-3'])
  assert.deepEqual(monitoredHosts(state, 'db', () => ({x: 'y'})), [{name: 'db1', address: '10.1.1.1', labels: {x: 'y'}}])
  assert.deepEqual(monitoredHosts(state, 'none', () => ({})), [])
})

test('names and addresses', () => {
  assert.equal(targetFileName('shop', 'prod', 'web'), 'dops_shop_prod_web.json')
  assert.equal(hostPort('fe80::1', 9100), '[fe80::1]:9100')
  assert.equal(hostPort('[::1]', 9100), '[::1]:9100')
  assert.equal(hostPort('web.example.com', 9100), 'web.example.com:9100')
})
