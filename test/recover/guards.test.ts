/** The decision guards (pure): each suppresses with its reason, and the ladder, budget and bounds count right. */
import assert from 'node:assert/strict'
import {test} from 'node:test'
import {decide, type DecideInput} from '../../src/recover/guards.js'
import {automationOf} from '../../src/recover/settings.js'
import type {AlertIn, Decision, EnvView} from '../../src/recover/types.js'

const NOW = Date.parse('2026-12-01T12:00:00Z')
const ago = (s: number) => new Date(NOW - s * 1000).toISOString()
const hosts = (n: number, age = 3600) => Array.from({length: n}, (_v, i) => ({name: `web-${i + 1}`, createdAt: ago(age)}))

function view(over: Partial<EnvView['groups'][string]> = {}, automation = {}): EnvView {
  return {
    project: 'shop',
    env: 'prod',
    automation: automationOf(automation),
    groups: {web: {hosts: hosts(4), apps: ['web'], static: false, min: 1, max: 5, policies: {InstanceDown: {action: 'replace'}, AppDown: {action: 'restart'}, HighLoad: {action: 'scale', by: '+1'}, LowLoad: {action: 'scale', by: '-1'}, DiskFull: {action: 'run', script: 'scripts/clean.sh'}}, ...over}},
  }
}
const alert = (over: Partial<AlertIn> = {}, labels: Record<string, string> = {}): AlertIn => ({name: 'InstanceDown', status: 'firing', fingerprint: 'f1', startsAt: ago(30), labels: {alertname: 'InstanceDown', project: 'shop', env: 'prod', group: 'web', host: 'web-2', ...labels}, ...over})
const acted = (over: Partial<Decision>): Decision => ({id: `d-${Math.random()}`, at: ago(60), env: 'prod', group: 'web', host: 'web-2', alert: 'InstanceDown', fingerprint: 'fx', startsAt: ago(100), outcome: 'acted', reason: '', action: 'replace', ...over})
const run = (i: Partial<DecideInput> = {}) => decide({alert: alert(), view: view(), alerting: {web: new Set(['web-2'])}, history: [], inFlight: [], now: NOW, ...i})
const guard = (v: ReturnType<typeof decide>) => (v.act ? `act:${v.action}` : `${v.outcome}:${v.guard}`)

test('a firing alert for a known old host is acted on with the policy action and its parameters', () => {
  const v = run()
  assert.ok(v.act)
  assert.deepEqual([v.action, v.env, v.group, v.host, v.dryRun], ['replace', 'prod', 'web', 'web-2', false])
  assert.equal(v.params.fingerprint, 'f1')
})

test('resolved, other project, unknown env/group, no policy, no host label: ignored with the reason', () => {
  assert.equal(guard(run({alert: alert({status: 'resolved'})})), 'ignored:resolved')
  assert.equal(guard(run({alert: alert({}, {project: 'other'})})), 'ignored:other-project')
  assert.equal(guard(run({view: undefined})), 'ignored:unknown-env')
  assert.equal(guard(run({alert: alert({}, {group: 'db'})})), 'ignored:unknown-group')
  assert.equal(guard(run({alert: alert({name: 'Nope'})})), 'ignored:no-policy')
  const {host: _h, ...noHost} = alert().labels
  assert.equal(guard(run({alert: {...alert(), labels: noHost}})), 'ignored:no-host')
})

test('a replayed delivery of an acted alert is suppressed (dedupe); one a guard stopped is decided again', () => {
  const first = acted({fingerprint: 'f1', startsAt: alert().startsAt, id: 'd-first'})
  const v = run({history: [first]})
  assert.equal(guard(v), 'suppressed:dedupe')
  assert.match(v.reason, /d-first/)
  assert.ok(run({history: [{...first, outcome: 'suppressed', guard: 'grace', at: ago(10_000)}]}).act)
  assert.ok(run({history: [{...first, startsAt: ago(5000), at: ago(10_000)}]}).act, 'another episode of the same alert is not a duplicate')
})

test('a host not in the state, or an alert older than the host, is dropped', () => {
  assert.equal(guard(run({alert: alert({}, {host: 'web-9'})})), 'suppressed:unknown-host')
  assert.equal(guard(run({alert: alert({startsAt: ago(7200)})})), 'suppressed:stale')
})

test('paused, storm (more than half the group), grace, cooldown', () => {
  assert.equal(guard(run({view: view({}, {paused: true})})), 'suppressed:paused')
  const storm = run({alerting: {web: new Set(['web-1', 'web-2', 'web-3'])}})
  assert.equal(guard(storm), 'suppressed:storm')
  assert.match(storm.reason, /3 of 4/)
  assert.ok(run({alerting: {web: new Set(['web-1', 'web-2'])}}).act, 'half is not more than half')
  assert.ok(run({view: view({hosts: hosts(1).map((h) => ({...h, name: 'web-2'}))})}).act, 'the only host of a group alerting is no storm')
  assert.equal(guard(run({view: view({hosts: hosts(2)}), alerting: {web: new Set(['web-1', 'web-2'])}})), 'suppressed:storm', 'both hosts of two')
  assert.ok(run({alerting: {web: new Set(['web-2', 'web-3', 'web-8', 'web-9'])}}).act, 'hosts no longer in the state do not count')
  assert.equal(guard(run({view: view({hosts: hosts(4, 60)})})), 'suppressed:grace')
  assert.ok(run({view: view({hosts: hosts(4, 60)}, {grace: '30s'})}).act)
  const deployed = view({hosts: hosts(4).map((h) => ({...h, deployedAt: ago(20)}))})
  assert.equal(guard(run({view: deployed})), 'suppressed:grace')
  assert.match(run({view: deployed}).reason, /deployed to 20s ago/)
  assert.equal(guard(run({history: [acted({at: ago(60)})]})), 'suppressed:cooldown')
  assert.ok(run({history: [acted({at: ago(60), host: 'web-1'})], view: view({hosts: hosts(40)})}).act, 'cooldown is per host')
})

test('flapping: the same alert beginning a third time within the cooldown is suppressed', () => {
  const ep = (startsAt: string, at: string) => acted({fingerprint: 'f1', startsAt, at, outcome: 'suppressed', guard: 'healthy'})
  const v = run({history: [ep(ago(200), ago(200)), ep(ago(100), ago(100))]})
  assert.equal(guard(v), 'suppressed:flapping')
  assert.match(v.reason, /began 3 times within 300s/)
  assert.ok(run({history: [ep(ago(900), ago(900)), ep(ago(100), ago(100))]}).act, 'an old episode does not count')
})

test('the ladder: restart twice, then replace, then stop', () => {
  const restartAlert = alert({name: 'AppDown'})
  const opts = {cooldown: '1s', budget: 10}
  assert.equal(guard(run({alert: restartAlert, view: view({}, opts)})), 'act:restart')
  const twice = [acted({action: 'restart', at: ago(1200)}), acted({action: 'restart', at: ago(600)})]
  const v = run({alert: restartAlert, view: view({}, opts), history: twice})
  assert.equal(guard(v), 'act:replace')
  assert.ok(v.act && v.asked === 'restart' && /ladder/.test(v.reason))
  assert.equal(guard(run({alert: restartAlert, view: view({}, opts), history: [acted({action: 'restart', at: ago(2400)}), acted({action: 'restart', at: ago(600)})]})), 'act:restart', 'only restarts within 30 min count')
  const stop = run({view: view({}, opts), history: [acted({action: 'replace', at: ago(1800)})]})
  assert.equal(guard(stop), 'suppressed:ladder')
})

test('group budget: one replace in flight, max(1, 10%) acted on per 10 min', () => {
  assert.equal(guard(run({inFlight: [acted({host: 'web-1'})]})), 'suppressed:in-flight')
  assert.equal(guard(run({history: [acted({host: 'web-1', action: 'restart', at: ago(300)})]})), 'suppressed:budget')
  assert.ok(run({history: [acted({host: 'web-1', action: 'restart', at: ago(700)})]}).act, 'outside the window')
  const big = view({hosts: hosts(20)})
  assert.ok(run({view: big, history: [acted({host: 'web-1', action: 'restart', at: ago(300)})]}).act, '10% of 20 is 2')
})

test('scale: +1 within max, -1 not below min or min-healthy; group cooldown; no storm guard', () => {
  const up = run({alert: alert({name: 'HighLoad'}, {host: 'web-1'}), alerting: {web: new Set(['web-1', 'web-2', 'web-3', 'web-4'])}})
  assert.ok(up.act && up.action === 'scale')
  assert.deepEqual(up.params.groups, {web: 5})
  assert.equal(guard(run({alert: alert({name: 'HighLoad'}), view: view({max: 4})})), 'suppressed:bounds')
  const {host: _h, ...groupOnly} = alert().labels
  const down = run({alert: {...alert({name: 'LowLoad'}), labels: groupOnly}})
  assert.ok(down.act)
  assert.deepEqual(down.params.groups, {web: 3})
  assert.equal(guard(run({alert: {...alert({name: 'LowLoad'}), labels: groupOnly}, view: view({hosts: hosts(1), min: 0})})), 'suppressed:min-healthy')
  assert.equal(guard(run({alert: {...alert({name: 'HighLoad'}), labels: groupOnly}, history: [acted({host: undefined, action: 'scale', at: ago(60)})]})), 'suppressed:cooldown')
  const perHost = run({alert: alert({name: 'HighLoad'}, {host: 'web-3'}), history: [acted({host: 'web-1', action: 'scale', at: ago(60)})]})
  assert.equal(guard(perHost), 'suppressed:cooldown', 'a load alert of another host of the group: the same group')
  assert.match(perHost.reason, /^group web was acted on 60s ago \(scale/)
  assert.ok(run({alert: alert({name: 'HighLoad', startsAt: ago(5)}), view: view({hosts: hosts(4, 10)})}).act, 'no grace for a scale')
})

test('dry run records what would be done; run passes the labels as ALERT_* variables', () => {
  const v = run({view: view({}, {dryRun: true})})
  assert.ok(v.act && v.dryRun)
  const r = run({alert: alert({name: 'DiskFull'}, {mount: '/var'})})
  assert.ok(r.act && r.action === 'run')
  assert.deepEqual([r.params.script, (r.params.env as Record<string, string>).ALERT_MOUNT, (r.params.env as Record<string, string>).ALERT_HOST], ['scripts/clean.sh', '/var', 'web-2'])
})
