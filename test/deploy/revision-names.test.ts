/** File names with control characters in a revision are refused before anything is deployed (issue 9, item 18). */
import assert from 'node:assert/strict'
import {mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {test} from 'node:test'
import {formatProblem} from '../../src/errors.js'
import {checkRevision} from '../../src/deploy/validate-revision.js'

test('a TAB or newline in a revision file name is a clear error naming the file', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dops-rev-names-'))
  mkdirSync(path.join(dir, 'site'))
  writeFileSync(path.join(dir, 'appspec.yml'), 'version: 0.0\nos: linux\nfiles:\n  - source: site\n    destination: /var/www/html\n')
  writeFileSync(path.join(dir, 'site', 'a\tb.html'), 'x')
  writeFileSync(path.join(dir, 'site', 'c\nd.html'), 'x')
  writeFileSync(path.join(dir, 'site', 'fine name.html'), 'x')
  const r = await checkRevision(dir)
  const errors = r.problems.filter((p) => p.severity !== 'warning').map(formatProblem)
  assert.ok(errors.some((e) => e.includes('file name `site/a\\tb.html` in the revision contains a TAB')), errors.join('\n'))
  assert.ok(errors.some((e) => e.includes('file name `site/c\\nd.html` in the revision contains a newline')), errors.join('\n'))
  assert.ok(!errors.some((e) => e.includes('fine name')), 'spaces are fine')
  assert.equal(errors.length, 2, errors.join('\n'))
  assert.equal(r.appspec, undefined, 'the revision is not deployable')
})
