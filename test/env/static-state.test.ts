/**
 * The state's record of static hosts is additive: a state written before dops recorded them still loads (the static
 * hosts then join on the next env up), and a damaged record is a located problem (exit 2), never overwritten.
 */
import assert from 'node:assert/strict'
import {mkdirSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {test} from 'node:test'
import type {EnvReport} from '../../src/env/env-job.js'
import {dops, json} from '../helpers.js'
import {removeProject} from './local-cleanup.js'

function project(state?: string): {dir: string; file: string} {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dops-static-state-'))
  // addresses nothing answers on: planning a static group never connects to a host without apps
  writeFileSync(path.join(dir, 'dops.yml'), 'version: 1\nproject: t\nenvironments:\n  test:\n    groups:\n      web:\n        hosts: [10.255.255.1, 10.255.255.2]\n        bootstrap: [{run: echo hi}]\n')
  const file = path.join(dir, '.dops', 'state', 't-test.json')
  mkdirSync(path.dirname(file), {recursive: true})
  if (state !== undefined) writeFileSync(file, state)
  return {dir, file}
}

test('a state without static records (written by an older dops) loads: its static hosts are planned to join', async () => {
  const {dir} = project('{"version": 1, "project": "t", "env": "test", "groups": {}, "updatedAt": "2026-01-01T00:00:00.000Z"}')
  try {
    const r = await dops(['env', 'plan', '--detailed-exitcode', '--json'], {cwd: dir})
    assert.equal(r.code, 10, r.stderr)
    const plan = json<EnvReport>(r)
    assert.deepEqual(plan.steps, [{kind: 'join', group: 'web', hosts: ['10.255.255.1', '10.255.255.2'], again: [], bootstrap: true}])
  } finally {
    removeProject(dir)
  }
})

test('a recorded static host with the same bootstrap is not planned again; another bootstrap fingerprint is', async () => {
  const {dir, file} = project()
  try {
    // the fingerprint of the current bootstrap, as dops computes it
    const {bootstrapFingerprint} = await import('../../src/env/static-hosts.js')
    const fp = await bootstrapFingerprint(dir, {bootstrap: [{run: 'echo hi'}]})
    const host = (name: string, bootstrap: string) => ({name, address: name, joinedAt: '2026-01-01T00:00:00.000Z', bootstrap})
    writeFileSync(file, JSON.stringify({version: 1, project: 't', env: 'test', groups: {}, static: {web: {hosts: [host('10.255.255.1', fp!), host('10.255.255.2', 'sha256:old')]}}}))
    const r = await dops(['env', 'plan', '--detailed-exitcode', '--json'], {cwd: dir})
    assert.equal(r.code, 10, r.stderr)
    assert.deepEqual(json<EnvReport>(r).steps, [{kind: 'join', group: 'web', hosts: [], again: ['10.255.255.2'], bootstrap: true}])
  } finally {
    removeProject(dir)
  }
})

test('a damaged static record is a located problem naming the file and field (exit 2); the file is untouched', async () => {
  const cases: Array<[string, RegExp]> = [
    ['{"version": 1, "groups": {}, "static": []}', /t-test\.json: static: expected an object, found/],
    ['{"version": 1, "groups": {}, "static": {"web": {"hosts": {}}}}', /t-test\.json: static\.web\.hosts: expected a list/],
    ['{"version": 1, "groups": {}, "static": {"web": {"hosts": [{"name": "a", "address": 5}]}}}', /t-test\.json: static\.web\.hosts\.0\.address: expected a string, found number/],
  ]
  for (const [text, expected] of cases) {
    const {dir, file} = project(text)
    try {
      const r = await dops(['env', 'plan'], {cwd: dir})
      assert.equal(r.code, 2, r.stderr)
      assert.match(r.stderr, expected)
      assert.doesNotMatch(r.stderr, /bug in dops/)
      assert.equal(readFileSync(file, 'utf8'), text)
    } finally {
      removeProject(dir)
    }
  }
})

test('the bootstrap fingerprint: script content, args and user count; secrets, names and timeouts do not', async () => {
  const {dir} = project()
  try {
    const {bootstrapFingerprint} = await import('../../src/env/static-hosts.js')
    writeFileSync(path.join(dir, 'boot.sh'), 'echo one\n')
    const fp = (b: object[], secrets: string[] = []) => bootstrapFingerprint(dir, {bootstrap: b} as never, secrets)
    const base = await fp([{script: 'boot.sh', args: ['a']}])
    assert.equal(await fp([{script: 'boot.sh', args: ['a'], name: 'renamed', timeout: '5m'}]), base)
    assert.notEqual(await fp([{script: 'boot.sh', args: ['b']}]), base)
    assert.notEqual(await fp([{script: 'boot.sh', args: ['a'], runAs: 'app'}]), base)
    writeFileSync(path.join(dir, 'boot.sh'), 'echo two\n')
    assert.notEqual(await fp([{script: 'boot.sh', args: ['a']}]), base)
    assert.equal(await fp([{run: 'login tok-1'}], ['tok-1']), await fp([{run: 'login tok-2'}], ['tok-2']), 'a new secret value is not a new bootstrap')
    assert.notEqual(await fp([{run: 'login tok-1'}]), await fp([{run: 'login tok-2'}]))
  } finally {
    removeProject(dir)
  }
})
