/** `dops run --dry-run`: the hosts of each batch and the budget, and nothing else: no connection, no journal. */
import assert from 'node:assert/strict'
import {cpSync, existsSync, mkdtempSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {test} from 'node:test'
import {dops, json, ROOT} from '../helpers.js'

interface Preview {
  dryRun: true
  command?: string
  failureBudget?: number
  total: number
  batches: Array<{batch: number; hosts: Array<{host: string; address: string; group: string}>}>
}

// the example's hosts do not exist (10.0.1.x, *.example.internal): a real run could only fail on them
const project = () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dops-dry-'))
  cpSync(path.join(ROOT, 'examples/static'), dir, {recursive: true})
  return dir
}

test('run --dry-run shows hosts x batches and the budget, connects to nothing and records nothing', async () => {
  const cwd = project()
  const r = await dops(['run', '--dry-run', '--batch', '1,50%', '--max-failures', '1', '--json', '--', 'systemctl restart app'], {cwd, timeoutMs: 8000})
  assert.equal(r.code, 0, r.stderr)
  const p = json<Preview>(r)
  assert.equal(p.dryRun, true)
  assert.equal(p.command, 'systemctl restart app')
  assert.equal(p.failureBudget, 1)
  assert.equal(p.total, 6)
  assert.deepEqual(p.batches.map((b) => b.hosts.map((h) => h.host)), [['db1'], ['db2', 'web01.example.internal', 'web02.example.internal'], ['web03.example.internal', 'web-canary.example.internal']])
  assert.equal(existsSync(path.join(cwd, '.dops')), false, 'no journal, no known_hosts')
  const text = await dops(['run', '--dry-run', '-g', 'db', '--', 'uptime'], {cwd, timeoutMs: 8000})
  assert.equal(text.code, 0, text.stderr)
  assert.deepEqual(text.stdout.trimEnd().split('\n').map((l) => l.split(/\s+/)), [['BATCH', 'HOST', 'GROUP', 'ADDRESS'], ['1', 'db1', 'db', '10.0.1.10'], ['1', 'db2', 'db', '10.0.1.11']])
  assert.match(text.stderr, /dry run: would run `uptime` on 2 hosts in 1 batch, no failure budget; nothing was run/)
  const bad = await dops(['run', '--dry-run', '--batch', 'lots', '--', 'uptime'], {cwd})
  assert.equal(bad.code, 2, 'options are checked as for a real run')
})
