/**
 * Plan checks of the revision store's keys through `dops validate`: file:line:col, the field, what was expected,
 * exit 2, no stack trace; a plan with a stored source and a store validates (the source is not read as a path).
 */
import assert from 'node:assert/strict'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, test} from 'node:test'
import {dops} from '../helpers.js'

const dir = mkdtempSync(path.join(os.tmpdir(), 'dops-revisions-checks-'))
after(() => rmSync(dir, {recursive: true, force: true}))
mkdirSync(path.join(dir, 'app', 'site'), {recursive: true})
writeFileSync(path.join(dir, 'app', 'appspec.yml'), 'version: 0.0\nos: linux\nfiles:\n  - source: site\n    destination: /var/www/app\n')
writeFileSync(path.join(dir, 'app', 'site', 'index.html'), 'hi\n')
const SHA = 'b'.repeat(64)
const plan = (apps: string, store = '') => `version: 1\nproject: r\n${store}apps:\n${apps}environments:\n  prod:\n    groups:\n      web:\n        hosts: [10.0.0.1]\n        apps: [api]\n`

let n = 0
async function expectProblem(text: string, marker: string, message: RegExp, field: string): Promise<void> {
  const file = path.join(dir, `p${++n}.yml`)
  writeFileSync(file, text)
  const idx = text.indexOf(marker)
  assert.ok(idx >= 0, `marker ${marker}`)
  const line = text.slice(0, idx).split('\n').length
  const col = idx - text.lastIndexOf('\n', idx - 1)
  const r = await dops(['validate', '-f', file])
  assert.equal(r.code, 2, r.stdout + r.stderr)
  const want = `${path.basename(file)}:${line}:${col}: ${field}: `
  const found = r.stderr.split('\n').find((l) => l.includes(want))
  assert.ok(found, `expected "${want}" in:\n${r.stderr}`)
  assert.match(found, message)
  assert.doesNotMatch(r.stderr, /\n\s+at /)
}

test('distribution: pull without a revision store is refused at its line', async () => {
  await expectProblem(plan('  api:\n    source: ./app\n    distribution: pull\n'), 'pull', /needs a revision store/, 'apps.api.distribution')
})

test('an s3:// source that names no object, or with a build, is refused at its line', async () => {
  const store = 'revisions:\n  store: s3://my-revs/p\n'
  await expectProblem(plan('  api:\n    source: s3://my-revs/\n', store), 's3://my-revs/\n', /not a stored revision: expected s3:\/\/bucket\/prefix\/api\/<sha256>\.tgz/, 'apps.api.source')
  await expectProblem(plan(`  api:\n    source: s3://my-revs/p/api/${SHA}.tgz\n    build: make\n`, store), `s3://my-revs/p/api/${SHA}`, /the app's `build` would never run/, 'apps.api.source')
})

test('a stored source with a store validates without reading it', async () => {
  const file = path.join(dir, 'ok.yml')
  writeFileSync(file, plan(`  api:\n    source: s3://my-revs/p/api/${SHA}.tgz\n    distribution: pull\n`, 'revisions:\n  store: s3://my-revs/p\n'))
  const r = await dops(['validate', '-f', file])
  assert.equal(r.code, 0, r.stdout + r.stderr)
})
