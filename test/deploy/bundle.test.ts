/** `dops bundle -o`: a file name, or a directory to write the bundle into (DIR/ or an existing one), nothing stray. */
import assert from 'node:assert/strict'
import {cpSync, mkdirSync, mkdtempSync, readdirSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {test} from 'node:test'
import {dops, json, ROOT} from '../helpers.js'

test('bundle -o DIR/ and -o EXISTING_DIR write <dir>-<id>.tgz inside; -o FILE writes that file; no temp file left', async () => {
  const work = mkdtempSync(path.join(os.tmpdir(), 'dops-bundle-'))
  cpSync(path.join(ROOT, 'test/fixtures/revisions/sample-app'), path.join(work, 'rev'), {recursive: true})
  const bundle = async (out: string) => {
    const r = await dops(['bundle', 'rev', '-o', out, '--json'], {cwd: work})
    assert.equal(r.code, 0, r.stdout + r.stderr)
    return json<{file: string; id: string}>(r)
  }
  const fresh = await bundle('dist/')
  assert.equal(fresh.file, path.join(work, 'dist', `rev-${fresh.id.slice(0, 12)}.tgz`))
  mkdirSync(path.join(work, 'existing'))
  const existing = await bundle('existing')
  assert.equal(existing.file, path.join(work, 'existing', `rev-${fresh.id.slice(0, 12)}.tgz`))
  const named = await bundle('out/shop.tgz')
  assert.equal(named.file, path.join(work, 'out', 'shop.tgz'))
  for (const d of ['dist', 'existing', 'out']) assert.equal(readdirSync(path.join(work, d)).length, 1, `only the bundle in ${d}`)
  assert.deepEqual(readdirSync(work).sort(), ['dist', 'existing', 'out', 'rev'], 'no stray temporary file')
})
