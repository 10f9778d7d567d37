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
