/**
 * Stopped hosts through the built CLI, with a provider (a plugin module) that can stop them: a stopped host is not
 * gone, is not made again, is shown by env plan and env status, and env up starts it (its new address recorded).
 */
import assert from 'node:assert/strict'
import {cpSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {test} from 'node:test'
import type {EnvReport, EnvStatus} from '../../src/env/env-job.js'
import {dops, json, ROOT} from '../helpers.js'

test('a stopped host is counted, shown and started by env up, never forgotten nor made again', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dops-stopped-'))
  cpSync(path.join(ROOT, 'test/fixtures/providers/pausable-provider.mjs'), path.join(dir, 'pausable-provider.mjs'))
  writeFileSync(path.join(dir, 'dops.yml'), 'version: 1\nproject: pause\nproviders:\n  cloud: {type: pausable, module: ./pausable-provider.mjs}\nenvironments:\n  e:\n    groups:\n      vault: {provider: cloud, instance: {count: 2}}\n')
  const run = (args: string[]) => dops(args, {cwd: dir})
  assert.equal((await run(['env', 'up'])).code, 0)
  const ledger = () => readFileSync(path.join(dir, 'ledger-vault.txt'), 'utf8')
  assert.equal(ledger(), 'vault-1\nvault-2\n')
  writeFileSync(path.join(dir, 'stopped-vault.txt'), 'vault-2\n')

  const plan = await run(['env', 'plan', '--json', '--detailed-exitcode'])
  assert.equal(plan.code, 10, 'a stopped host to start is a change')
  const ch = json<EnvReport>(plan).changes[0]!
  assert.deepEqual([ch.keep, ch.create, ch.destroy, ch.gone, ch.start], [2, 0, [], undefined, ['vault-2']])
  assert.deepEqual(json<EnvReport>(plan).steps.map((s) => s.kind), ['start'])
  assert.match((await run(['env', 'plan'])).stdout, /1\. start vault: vault-2 \(stopped\)/)

  const status = await run(['env', 'status', '--json'])
  assert.equal(status.code, 3, 'a stopped host is not serving')
  assert.deepEqual(json<EnvStatus>(status).groups[0]!.hosts.map((h) => `${h.name}:${h.state}`), ['vault-1:running', 'vault-2:stopped'])
  assert.match((await run(['env', 'status'])).stdout, /vault-2 .*stopped \(env up starts it\)/)

  // reconcile (from a schedule) neither starts nor forgets it
  const rec = json<EnvReport>(await run(['env', 'reconcile', '--json']))
  assert.deepEqual([rec.steps.length, rec.changes[0]!.gone], [0, undefined])

  const up = await run(['env', 'up', '--json'])
  assert.equal(up.code, 0, up.stdout + up.stderr)
  assert.deepEqual(json<EnvReport>(up).steps.map((s) => s.kind), ['start'])
  assert.equal(readFileSync(path.join(dir, 'stopped-vault.txt'), 'utf8'), '', 'the provider was asked to start it')
  assert.equal(ledger(), 'vault-1\nvault-2\n', 'nothing made again')
  const state = JSON.parse(readFileSync(path.join(dir, '.dops/state/pause-e.json'), 'utf8')) as {groups: {vault: {instances: Array<{name: string; address: string}>}}}
  assert.deepEqual(state.groups.vault.instances.map((i) => `${i.name}@${i.address}`), ['vault-1@192.0.2.1', 'vault-2@192.0.2.99'], 'its address now is recorded')
  assert.equal((await run(['env', 'plan', '--detailed-exitcode'])).code, 0)
  assert.equal((await run(['env', 'down', '--yes'])).code, 0)
})
