/**
 * An app whose groups have no hosts yet (a provider group before `env up`): deploy, deploy --plan and rollback say so
 * by the app's and environment's names, exit 7, and touch nothing; never a crash or a selection message.
 */
import assert from 'node:assert/strict'
import {existsSync, mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {test} from 'node:test'
import {dops, json} from '../helpers.js'

function project(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'dops-no-hosts-'))
  mkdirSync(path.join(d, 'rev'))
  writeFileSync(path.join(d, 'rev/index.html'), 'v1\n')
  writeFileSync(path.join(d, 'rev/appspec.yml'), 'version: 0.0\nos: linux\nfiles:\n  - source: index.html\n    destination: /srv/web\n')
  writeFileSync(path.join(d, 'dops.yml'), 'version: 1\nproject: p\napps:\n  web: {source: ./rev}\nenvironments:\n  prod:\n    groups:\n      front:\n        provider: local\n        instance: {count: 2}\n        apps: [web]\n')
  return d
}

test('deploying an app that has no hosts yet: "app web has no hosts in environment prod", exit 7, nothing done', async () => {
  const cwd = project()
  for (const args of [['deploy'], ['deploy', '--plan'], ['deploy', '--json'], ['rollback', '--to', 'abc123']]) {
    const r = await dops(args, {cwd})
    assert.equal(r.code, 7, `${args.join(' ')}: ${r.stdout}${r.stderr}`)
    const text = args.includes('--json') ? json<{error: {code: string; message: string}}>(r).error.message : r.stderr
    assert.match(text, /app web has no hosts in environment prod \(group front: none yet\); create them with dops env up -e prod/)
    assert.doesNotMatch(r.stderr, /bug in dops|    at /)
  }
  assert.equal(existsSync(path.join(cwd, '.dops/deployments')), false, 'no deployment recorded')
})
