/**
 * The planner (pure) for outdated and stopped hosts: replacements are batches of create, prepare, deploy to the new
 * hosts, hostsJoined, then hostsLeft, drain and destroy of the hosts they replace, after the count is right; stopped
 * hosts are started first, count toward the group and are never gone.
 */
import assert from 'node:assert/strict'
import {test} from 'node:test'
import {changesAnything, diff, type DiffInput} from '../../src/env/diff.js'
import {replaceBatchSize} from '../../src/env/diff-replace.js'
import {formatStep} from '../../src/cli/env-format.js'
import {destructiveChanges} from '../../src/env/env-job.js'
import type {GroupObservation} from '../../src/env/observe.js'
import type {InstanceState} from '../../src/state/local-file.js'
import {Chalk} from 'chalk'

const c = new Chalk({level: 0})
const inst = (name: string, ready = true): InstanceState => ({id: name, name, address: '10.0.0.1', port: 22, user: '', createdAt: '', ready, data: {}}) as InstanceState
const why = (name: string) => ({name, why: ['size t3.small -> t3.medium']})
const base = (web: Partial<GroupObservation>, over: Partial<DiffInput> = {}): DiffInput => ({
  envName: 'prod',
  order: ['edge', 'web'],
  groups: {edge: {hosts: ['e1']}, web: {provider: 'aws', instance: {count: 3}, apps: ['shop'], on: {hostsJoined: [{group: 'edge', run: 'x'}], hostsLeft: [{group: 'edge', run: 'x'}]}}} as DiffInput['groups'],
  providers: {edge: {name: 'static', type: 'static'}, web: {name: 'aws', type: 'aws'}},
  staticHosts: {edge: ['e1']},
  state: {version: 1, project: 'p', env: 'prod', groups: {web: {provider: 'aws', instances: [inst('w1'), inst('w2'), inst('w3')]}}} as DiffInput['state'],
  observed: {groups: {web: {provider: 'aws', type: 'aws', live: [inst('w1'), inst('w2'), inst('w3')], fresh: [], gone: [], drift: [], ignored: [], ...web}}, apps: {shop: {desired: {id: 'abc', source: 'working tree'}, behind: []}}},
  apps: {shop: {strategy: {minHealthy: 2}}},
  ...over,
})
const brief = (s: DiffInput) => diff(s).steps.map((x) => `${x.kind}${'batch' in x && x.batch ? `#${x.batch.n}` : ''}${'hosts' in x && x.hosts.length ? `:${x.hosts.join(',')}` : ''}${x.kind === 'create' ? `+${x.count}` : ''}`)

test('three outdated hosts with min healthy 2: three batches of one, new hosts first, each old host leaves after its replacement joined', () => {
  const input = base({outdated: [why('w1'), why('w2'), why('w3')]})
  assert.deepEqual(brief(input), [
    'deploy',
    ...[1, 2, 3].flatMap((n) => [`create#${n}+1`, `prepare#${n}`, `deploy#${n}`, `announce#${n}`, `announce#${n}:w${n}`, `drain#${n}:w${n}`, `destroy#${n}:w${n}`]),
  ])
  const d = diff(input)
  const web = d.changes.find((x) => x.group === 'web')!
  assert.deepEqual([web.keep, web.create, web.destroy, web.replace?.map((r) => r.name), web.replaceBatch], [0, 0, [], ['w1', 'w2', 'w3'], 1])
  assert.equal(changesAnything(d.steps), true)
  assert.equal(formatStep(c, d.steps[1]!), 'replace w1 (size t3.small -> t3.medium) [batch 1/3]: create 1 host(s) in web')
  assert.match(destructiveChanges(d.changes), /^replace 3 host\(s\) of web \(w1: size t3\.small -> t3\.medium; w2: /)
})

test('batch size follows the apps\' strategy, capped by the outdated count; 1 without apps', () => {
  assert.equal(replaceBatchSize(4, 4, [{minHealthy: 2}]), 2)
  assert.equal(replaceBatchSize(4, 1, [{minHealthy: 2}]), 1)
  assert.equal(replaceBatchSize(4, 4, [{preset: 'AllAtOnce'}, {preset: 'OneAtATime'}]), 1, 'the most careful app decides')
  assert.equal(replaceBatchSize(4, 4, [{preset: 'HalfAtATime'}]), 2)
  assert.equal(replaceBatchSize(3, 3, []), 1)
  assert.equal(replaceBatchSize(1, 1, [{minHealthy: 2}]), 1, 'a strategy that cannot be planned for the count: one at a time')
  const two = brief(base({outdated: [why('w1'), why('w2'), why('w3')]}, {apps: {shop: {strategy: {minHealthy: 1}}}}))
  assert.deepEqual(two.filter((s) => s.startsWith('create') || s.startsWith('destroy')), ['create#1+2', 'destroy#1:w1,w2', 'create#2+1', 'destroy#2:w3'])
})

test('scaling down removes outdated hosts first (after those that serve nothing), then replaces the rest; settings first of all', () => {
  const steps = brief(base({outdated: [why('w2'), why('w3')], drift: ['tags +team=a']}, {scale: {web: 2}}))
  assert.deepEqual(steps, ['update', 'announce:w3', 'drain:w3', 'destroy:w3', 'deploy', 'create#1+1', 'prepare#1', 'deploy#1', 'announce#1', 'announce#1:w2', 'drain#1:w2', 'destroy#1:w2'])
  // a host that never became ready (an interrupted batch's new one) goes before an outdated one that serves
  const live = [inst('w1'), inst('w2'), inst('w3'), inst('w4', false)]
  assert.deepEqual(brief(base({live, outdated: [why('w1'), why('w2')]})).slice(0, 3), ['announce:w4', 'drain:w4', 'destroy:w4'])
  const up = brief(base({outdated: [why('w1')]}, {scale: {web: 4}}))
  assert.deepEqual(up.slice(0, 4), ['create+1', 'prepare', 'deploy', 'announce'], 'the count is made right before replacing')
  assert.equal(up[4], 'create#1+1')
})

test('reconcile replaces and starts nothing', () => {
  const steps = brief(base({outdated: [why('w1')], stopped: [inst('w3')]}, {reconcile: true}))
  assert.deepEqual(steps, ['deploy'])
})

test('a stopped host is started first, counts toward the group, is announced again and never forgotten', () => {
  const live = [inst('w1'), inst('w2'), inst('w3')]
  const input = base({live, stopped: [live[2]!]})
  assert.deepEqual(brief(input), ['start:w3', 'deploy', 'announce:w3'])
  const d = diff(input)
  const web = d.changes.find((x) => x.group === 'web')!
  assert.deepEqual([web.keep, web.create, web.destroy, web.gone, web.start], [3, 0, [], undefined, ['w3']])
  assert.equal(formatStep(c, d.steps[0]!), 'start web: w3 (stopped)')
  // scaled down: the stopped host goes before a running one, without a drain (nothing runs on it)
  assert.deepEqual(brief(base({live, stopped: [live[0]!]}, {scale: {web: 2}})), ['announce:w1', 'destroy:w1', 'deploy'])
  // with gone and stopped hosts: the gone one is forgotten (not destroyed), the stopped one started
  const mixed = diff(base({live: [inst('w1'), inst('w3')], stopped: [inst('w3')], gone: [inst('w2')]}))
  assert.deepEqual(mixed.steps.map((x) => x.kind), ['start', 'announce', 'forget', 'create', 'prepare', 'deploy', 'announce'])
  assert.deepEqual(mixed.changes.find((x) => x.group === 'web')!.gone, ['w2'])
  assert.equal(destructiveChanges(mixed.changes), '', 'forgetting a gone host and starting one destroys nothing')
})
