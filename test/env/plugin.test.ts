import assert from 'node:assert/strict'
import {cpSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {test} from 'node:test'
import type {EnvReport} from '../../src/env/env-job.js'
import {dops, json, ROOT} from '../helpers.js'

test('a third-party provider is loaded from the module the plan names, without touching the core', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dops-plugin-'))
  cpSync(path.join(ROOT, 'test/fixtures/providers/ledger-provider.mjs'), path.join(dir, 'ledger-provider.mjs'))
  writeFileSync(path.join(dir, 'dops.yml'), 'version: 1\nproject: plug\nproviders:\n  books: {type: ledger, module: ./ledger-provider.mjs}\nenvironments:\n  e:\n    groups:\n      vault: {provider: books, instance: {count: 3, size: 2C4G}}\n')
  const v = await dops(['validate'], {cwd: dir})
  assert.equal(v.code, 0, v.stderr)
  const plan = json<EnvReport>(await dops(['env', 'plan', '--json'], {cwd: dir}))
  assert.deepEqual([plan.changes[0]!.create, plan.changes[0]!.ignored], [3, ['size']])
  const up = await dops(['env', 'up', '--json'], {cwd: dir})
  assert.equal(up.code, 0, up.stdout + up.stderr)
  assert.equal(readFileSync(path.join(dir, 'ledger-vault.txt'), 'utf8'), 'vault-1\nvault-2\nvault-3\n')
  const down = await dops(['env', 'down', '--yes', '--json'], {cwd: dir})
  assert.equal(down.code, 0)
  assert.equal(readFileSync(path.join(dir, 'ledger-vault.txt'), 'utf8'), '')
  writeFileSync(path.join(dir, 'dops.yml'), 'version: 1\nproject: plug\nproviders:\n  books: {type: ledger, module: ./missing.mjs}\nenvironments:\n  e:\n    groups:\n      vault: {provider: books, instance: {count: 1}}\n')
  const bad = await dops(['env', 'up'], {cwd: dir})
  assert.equal(bad.code, 2)
  assert.match(bad.stderr, /provider books: cannot load module `\.\/missing\.mjs`/)
})

test('an installed oclif plugin adds a provider through the dops:providers hook; the plan names only its type', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dops-oclif-plugin-'))
  // the plugin is installed the oclif way, into a data directory of this test's own
  const data = mkdtempSync(path.join(os.tmpdir(), 'dops-data-'))
  writeFileSync(path.join(dir, 'dops.yml'), 'version: 1\nproject: plug2\nenvironments:\n  e:\n    groups:\n      vault: {provider: ledger, instance: {count: 2}}\n')
  const env = {DOPS_DATA_DIR: data}
  const without = await dops(['validate'], {cwd: dir})
  assert.equal(without.code, 2, 'without the plugin the type is unknown')
  assert.match(without.stderr, /unknown provider `ledger`/)
  const link = await dops(['plugins', 'link', path.join(ROOT, 'test/fixtures/providers/dops-plugin-ledger')], {cwd: dir, env})
  assert.equal(link.code, 0, link.stderr)
  assert.match((await dops(['plugins'], {cwd: dir, env})).stdout, /dops-plugin-ledger 1\.0\.0 \(link\)/)
  const v = await dops(['validate'], {cwd: dir, env})
  assert.equal(v.code, 0, v.stderr)
  const up = await dops(['env', 'up', '--json'], {cwd: dir, env})
  assert.equal(up.code, 0, up.stdout + up.stderr)
  assert.equal(readFileSync(path.join(dir, 'ledger-vault.txt'), 'utf8'), 'vault-1\nvault-2\n')
  assert.equal((await dops(['env', 'down', '--yes'], {cwd: dir, env})).code, 0)
})
