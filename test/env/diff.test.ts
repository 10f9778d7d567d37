/** The planner as data: diff() from plan, state and observations to ordered steps, with no host and no provider. */
import assert from 'node:assert/strict'
import {test} from 'node:test'
import {changesAnything, checkScale, diff, type DiffInput} from '../../src/env/diff.js'
import type {InstanceState} from '../../src/state/local-file.js'

const inst = (name: string, ready = true): InstanceState => ({id: name, name, address: '10.0.0.1', port: 22, user: '', createdAt: '', ready}) as InstanceState
const base = (over: Partial<DiffInput> = {}): DiffInput => ({
  envName: 'prod',
  order: ['edge', 'web'],
  groups: {edge: {hosts: ['e1']}, web: {provider: 'aws', instance: {count: 2}, apps: ['shop'], on: {hostsJoined: [{group: 'edge', run: 'x'}], hostsLeft: [{group: 'edge', run: 'x'}]}}} as DiffInput['groups'],
  providers: {edge: {name: 'static', type: 'static'}, web: {name: 'aws', type: 'aws'}},
  staticHosts: {edge: ['e1']},
  state: {version: 1, project: 'p', env: 'prod', groups: {web: {provider: 'aws', instances: [inst('w1'), inst('w2')]}}} as DiffInput['state'],
  observed: {groups: {web: {provider: 'aws', type: 'aws', live: [inst('w1'), inst('w2')], fresh: [], gone: [], drift: [], ignored: []}}, apps: {shop: {desired: {id: 'abc', source: 'working tree'}, behind: []}}},
  ...over,
})

test('nothing to change: one deploy step that finds every host on the desired revision', () => {
  const d = diff(base())
  assert.deepEqual(d.steps, [{kind: 'deploy', app: 'shop', revision: {id: 'abc', source: 'working tree'}, behind: [], newHosts: false}])
  assert.equal(changesAnything(d.steps), false)
})

test('a host on another revision is a change; a host that leaves is not deployed to', () => {
  const d = diff(base({observed: {...base().observed, apps: {shop: {desired: {id: 'abc', source: 'rollback', deploymentId: 'd-1'}, behind: ['w2']}}}}))
  assert.deepEqual(d.steps.map((s) => s.kind), ['deploy'])
  assert.equal(changesAnything(d.steps), true)
  const down = diff(base({scale: {web: 1}, observed: {...base().observed, apps: {shop: {desired: {id: 'abc', source: 'working tree'}, behind: ['w2']}}}}))
  assert.deepEqual(down.steps.map((s) => `${s.kind}${'hosts' in s ? `:${s.hosts.join(',')}` : ''}`), ['announce:w2', 'drain:w2', 'destroy:w2', 'deploy'])
  assert.deepEqual((down.steps.at(-1) as {behind: string[]}).behind, [])
})

test('scale up: create, prepare the new hosts, deploy to them, then announce them', () => {
  const d = diff(base({scale: {web: 4}}))
  assert.deepEqual(d.steps, [
    {kind: 'create', group: 'web', count: 2},
    {kind: 'prepare', group: 'web', hosts: [], new: 2},
    {kind: 'deploy', app: 'shop', revision: {id: 'abc', source: 'working tree'}, behind: [], newHosts: true},
    {kind: 'announce', group: 'web', event: 'hostsJoined', hosts: [], new: 2},
  ])
  assert.deepEqual(d.changes.find((c) => c.group === 'web'), {group: 'web', provider: 'aws', keep: 2, create: 2, destroy: [], pending: 0, updates: [], ignored: [], apps: ['shop']})
})

test('a host gone outside dops is announced and forgotten; a not-ready one is prepared again; drift is an update', () => {
  const o = {provider: 'aws', type: 'aws', live: [inst('w1', false)], fresh: [], gone: [inst('w2')], drift: ['firewall +tcp/443 from 0.0.0.0/0'], ignored: []}
  const d = diff(base({observed: {...base().observed, groups: {web: o}}}))
  // settings first (before any host of the group is created or destroyed), then the gone host, then the count
  assert.deepEqual(d.steps.map((s) => s.kind), ['update', 'announce', 'forget', 'create', 'prepare', 'deploy', 'announce'])
  assert.deepEqual(d.steps[4], {kind: 'prepare', group: 'web', hosts: ['w1'], new: 1})
  const web = d.changes.find((c) => c.group === 'web')!
  assert.deepEqual([web.destroy, web.gone], [[], ['w2']], 'a gone host is forgotten, not destroyed')
})

test('reconcile adopts and forgets, never creates or destroys', () => {
  const o = {provider: 'aws', type: 'aws', live: [inst('w1'), inst('w3', false)], fresh: [inst('w3', false)], gone: [inst('w2')], drift: ['firewall -x'], ignored: []}
  const d = diff(base({reconcile: true, scale: undefined, groups: {...base().groups, web: {...base().groups.web!, instance: {count: 1}}}, observed: {...base().observed, groups: {web: o}}}))
  assert.deepEqual(d.steps.map((s) => s.kind), ['announce', 'forget', 'adopt', 'prepare', 'deploy', 'announce'])
})

test('scale requests are checked: an unknown group, a static group, outside the Auto Scaling range', () => {
  const b = base()
  assert.throws(() => checkScale({...b, scale: {nope: 1}}), /no group `nope` in environment prod \(groups: edge, web\)/)
  assert.throws(() => checkScale({...b, scale: {edge: 2}}), /group edge has static hosts/)
  const asg = {...b.groups, web: {...b.groups.web!, instance: {autoScaling: {min: 1, max: 3}}}}
  assert.throws(() => checkScale({...b, groups: asg, scale: {web: 5}}), /5 is outside its Auto Scaling range \(min 1, max 3\)/)
})
