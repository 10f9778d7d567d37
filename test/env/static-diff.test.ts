/** Planning static groups as data (pure): join, bootstrap again, leave, and where they fall among the other steps. */
import assert from 'node:assert/strict'
import {test} from 'node:test'
import {changesAnything, diff, type DiffInput} from '../../src/env/diff.js'
import type {InstanceState} from '../../src/state/local-file.js'

const host = (name: string, ready: boolean, bootstrap?: string): InstanceState => ({id: name, name, address: `${name}.example`, port: 22, user: '', createdAt: '', ready, data: bootstrap ? {bootstrap} : {}})
const input = (live: InstanceState[], gone: InstanceState[], fingerprint: string | undefined, behind: string[] = []): DiffInput => ({
  envName: 'prod',
  order: ['lb', 'web'],
  groups: {lb: {provider: 'sandbox', instance: {count: 1}}, web: {hosts: live.map((h) => h.name), apps: ['shop'], ...(fingerprint ? {bootstrap: [{run: 'x'}]} : {}), on: {hostsJoined: [{group: 'lb', run: 'j'}], hostsLeft: [{group: 'lb', run: 'l'}]}}} as DiffInput['groups'],
  providers: {lb: {name: 'sandbox', type: 'local'}, web: {name: 'static', type: 'static'}},
  staticHosts: {web: live.map((h) => h.name)},
  state: {version: 1, project: 'p', env: 'prod', groups: {}},
  observed: {
    groups: {lb: {provider: 'sandbox', type: 'local', live: [host('lb-1', true)], fresh: [], gone: [], drift: [], ignored: []}, web: {provider: 'static', type: 'static', live, fresh: live.filter((h) => !h.ready), gone, drift: [], ignored: [], fingerprint}},
    apps: {shop: {desired: {id: 'abc', source: 'working tree'}, behind}},
  },
})
const kinds = (d: ReturnType<typeof diff>) => d.steps.map((s) => `${s.kind}${'hosts' in s ? `:${s.hosts.join(',')}` : ''}${s.kind === 'join' ? `/again:${s.again.join(',')}` : ''}${s.kind === 'deploy' ? `/new:${s.newHosts}` : ''}`)

test('joining static hosts are bootstrapped, deployed to and announced after the deploy; joined ones with the same bootstrap are left alone', () => {
  const d = diff(input([host('a', true, 'sha256:1'), host('b', false)], [], 'sha256:1', ['b']))
  assert.deepEqual(kinds(d), ['join:b/again:', 'deploy/new:true', 'announce:b'])
  assert.deepEqual((d.steps[1] as {behind: string[]}).behind, [], 'the joining host is deployed to as a new host')
  assert.deepEqual(d.changes.find((c) => c.group === 'web')!.static, {joining: ['b'], again: [], leaving: []})
  assert.equal(d.changes.find((c) => c.group === 'web')!.keep, 2)
})

test('a changed bootstrap: joined hosts are bootstrapped again, not announced again; without a bootstrap nothing is', () => {
  assert.deepEqual(kinds(diff(input([host('a', true, 'sha256:1'), host('b', true)], [], 'sha256:2'))), ['join:/again:a,b', 'deploy/new:false'])
  const none = diff(input([host('a', true, 'sha256:1')], [], undefined))
  assert.deepEqual(kinds(none), ['deploy/new:false'])
  assert.equal(changesAnything(none.steps), false)
})

test('a host the plan dropped leaves: hostsLeft, then its record goes; it is never deployed to, drained or destroyed', () => {
  const d = diff(input([host('a', true, 'sha256:1')], [host('gone', true, 'sha256:1')], 'sha256:1', ['gone']))
  assert.deepEqual(kinds(d), ['announce:gone', 'leave:gone', 'deploy/new:false'])
  assert.deepEqual((d.steps[2] as {behind: string[]}).behind, [])
  assert.ok(!d.steps.some((s) => s.kind === 'destroy' || s.kind === 'drain'))
  assert.equal(changesAnything(d.steps), true)
})
