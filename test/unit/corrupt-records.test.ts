/**
 * dops's own records damaged on disk (a truncated or `null` state file, a malformed run journal): a problem located
 * in that file, exit 2, never "a bug in dops"; a corrupt state is never overwritten.
 */
import assert from 'node:assert/strict'
import {mkdirSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {test} from 'node:test'
import {LocalStateFile} from '../../src/state/local-file.js'
import {dops} from '../helpers.js'

function project(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dops-corrupt-'))
  writeFileSync(path.join(dir, 'dops.yml'), 'version: 1\nproject: t\nenvironments:\n  test:\n    groups:\n      web:\n        hosts: [10.255.255.1]\n')
  mkdirSync(path.join(dir, '.dops', 'state'), {recursive: true})
  return dir
}

test('a truncated, null or misshapen state file is a located problem naming the file (exit 2)', async () => {
  const cases: Array<[string, RegExp]> = [
    ['{"version": 1, "project": "t", "env": "test", "groups": {"web": {"provider": "local", "instances": [', /t-test\.json:1:\d+: not valid JSON: the file ends early/],
    ['null', /t-test\.json: \(top level\): expected an object, found null/],
    ['{"version": 1, "groups": {"web": {"instances": [{"id": "i-1", "name": 5}]}}}', /t-test\.json: groups\.web\.instances\.0\.name: expected a string, found number/],
  ]
  for (const [text, expected] of cases) {
    const dir = project()
    const file = path.join(dir, '.dops', 'state', 't-test.json')
    writeFileSync(file, text)
    const r = await dops(['run', '--', 'true'], {cwd: dir})
    assert.equal(r.code, 2, r.stderr)
    assert.match(r.stderr, expected)
    assert.match(r.stderr, /corrupt; dops will not overwrite it/)
    assert.doesNotMatch(r.stderr, /bug in dops/)
    assert.equal(readFileSync(file, 'utf8'), text, 'the state file is untouched')
  }
})

test('the state backend refuses to overwrite a corrupt state', async () => {
  const dir = project()
  const file = path.join(dir, '.dops', 'state', 't-test.json')
  writeFileSync(file, '{"groups": {"web": ')
  const store = new LocalStateFile(dir, 't', 'test')
  await assert.rejects(store.write({version: 1, project: 't', env: 'test', groups: {}}), /corrupt; dops will not overwrite it/)
  assert.equal(readFileSync(file, 'utf8'), '{"groups": {"web": ')
})

test('a malformed run journal is a located problem for --retry-failed (exit 2)', async () => {
  const cases: Array<[string, RegExp]> = [
    ['{"version": 2, "runId": "x", "spec": {"command": "true"}, "hosts": [', /20260101-000000-abcdef\.json:1:\d+: not valid JSON/],
    ['null', /20260101-000000-abcdef\.json: \(top level\): expected an object, found null/],
    ['{"version": 2, "runId": "x", "spec": {"command": "true"}, "options": {}, "hosts": [{"name": "a"}], "results": []}', /hosts\.0: expected a host with a name and an address/],
    ['{"version": 2, "runId": "x", "spec": {"command": "x", "templates": {"command": [null]}}, "options": {}, "hosts": [{"name": "a", "address": "a"}], "results": [{"host": "a", "status": "failed"}]}', /abcdef\.json: spec\.templates\.command: expected/],
    ['{"version": 2, "runId": "x", "spec": {"command": 5}, "options": {}, "hosts": [{"name": "a", "address": "a"}], "results": [{"host": "a", "status": "failed"}]}', /abcdef\.json: spec\.command: expected/],
  ]
  for (const [text, expected] of cases) {
    const dir = project()
    mkdirSync(path.join(dir, '.dops', 'runs'), {recursive: true})
    writeFileSync(path.join(dir, '.dops', 'runs', '20260101-000000-abcdef.json'), text)
    const r = await dops(['run', '--retry-failed'], {cwd: dir})
    assert.equal(r.code, 2, r.stderr)
    assert.match(r.stderr, expected)
    assert.match(r.stderr, /run journal .* is damaged/)
    assert.doesNotMatch(r.stderr, /bug in dops/)
  }
})
