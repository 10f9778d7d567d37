/** The recovery journal on disk: read back after a restart (a torn last line skipped), ends merged, in-flight, effective. */
import assert from 'node:assert/strict'
import {appendFileSync, mkdtempSync, rmSync, statSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, test} from 'node:test'
import {RecoveryJournal} from '../../src/recover/journal.js'
import type {Decision} from '../../src/recover/types.js'

const dir = mkdtempSync(path.join(os.tmpdir(), 'dops-recovery-journal-'))
after(() => rmSync(dir, {recursive: true, force: true}))
const d = (over: Partial<Decision>): Decision => ({id: 'd-1', at: '2026-12-01T00:00:00Z', env: 'prod', group: 'web', host: 'web-1', alert: 'Down', fingerprint: 'f', startsAt: '2026-12-01T00:00:00Z', outcome: 'acted', reason: 'r', action: 'replace', ...over})

test('decisions survive a restart; their ends are merged; in flight and effective outcomes', async () => {
  const j = new RecoveryJournal(dir)
  await j.open()
  await j.append(d({id: 'd-1'}))
  await j.append(d({id: 'd-2', host: 'web-2'}))
  await j.append(d({id: 'd-3', host: 'web-3', env: 'staging'}))
  await j.append(d({id: 'e-1', of: 'd-1', outcome: 'verified-healthy', reason: 'fine'}))
  appendFileSync(j.file, '{"id": "d-torn", "at"')
  assert.equal(statSync(j.file).mode & 0o777, 0o600)
  const again = new RecoveryJournal(dir)
  await again.open()
  assert.deepEqual(again.list({env: 'prod'}).map((x) => [x.id, x.ended?.outcome]), [['d-2', undefined], ['d-1', 'verified-healthy']])
  assert.deepEqual(again.list().map((x) => x.id), ['d-3', 'd-2', 'd-1'])
  assert.deepEqual(again.inFlight('prod').map((x) => x.id), ['d-2'])
  assert.deepEqual(again.effective('prod').map((x) => [x.id, x.outcome]), [['d-1', 'suppressed'], ['d-2', 'acted']], 'a re-verified action spends nothing')
  assert.deepEqual(again.list({limit: 1}).map((x) => x.id), ['d-3'])
  await again.append(d({id: 'd-4'}))
  const third = new RecoveryJournal(dir)
  await third.open()
  assert.equal(third.list()[0]!.id, 'd-4', 'the line after a torn one is read')
})
