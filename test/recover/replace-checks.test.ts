/** `--replace` names a host a provider made for the environment: a static host or an unknown name is refused, nothing changed. */
import assert from 'node:assert/strict'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, test} from 'node:test'
import {InvalidInputError} from '../../src/errors.js'
import {envPlan} from '../../src/env/env-job.js'
import {dops} from '../helpers.js'

const dir = mkdtempSync(path.join(os.tmpdir(), 'dops-replace-checks-'))
after(() => rmSync(dir, {recursive: true, force: true}))
writeFileSync(path.join(dir, 'hosts.ini'), 'a ansible_connection=local\n')
writeFileSync(path.join(dir, 'dops.yml'), 'version: 1\nproject: rc\nenvironments:\n  one:\n    groups:\n      ctl: {provider: static, inventory: hosts.ini}\n')

test('a static host or an unknown one cannot be replaced', async () => {
  const source = {cwd: dir, planFile: path.join(dir, 'dops.yml'), env: 'one'}
  // the static host joins the environment first (recorded in the state)
  const up = await dops(['env', 'up', '--yes'], {cwd: dir})
  assert.equal(up.code, 0, up.stderr)
  await assert.rejects(envPlan({source, connection: {}, replace: ['a']}), (e: unknown) => e instanceof InvalidInputError && /host a is a static host: dops does not create or destroy it/.test(e.message))
  const cli = await dops(['env', 'up', '--replace', 'nope', '--yes'], {cwd: dir})
  assert.equal(cli.code, 2)
  assert.match(cli.stderr, /no host `nope` in environment one to replace \(its hosts: none\)/)
  assert.doesNotMatch(cli.stderr, /at .*\.js:\d+/, 'no stack trace')
})
