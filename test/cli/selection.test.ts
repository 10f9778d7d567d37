/** A selection naming a group or label that exists nowhere is a typo: invalid input with the closest name, not "nothing to do". */
import assert from 'node:assert/strict'
import path from 'node:path'
import {test} from 'node:test'
import {dops, json, ROOT} from '../helpers.js'

const plan = path.join(ROOT, 'examples/static/dops.yml')

test('an unknown group (-g webb) exits 2 with "did you mean", in text and JSON, before any host is touched', async () => {
  const r = await dops(['run', '-f', plan, '-g', 'webb', '--', 'true'])
  assert.equal(r.code, 2, r.stderr)
  assert.match(r.stderr, /no group `webb` in environment prod \(groups: db, web, webservers\) \(did you mean `web`\?\)/)
  const j = await dops(['hosts', '-f', plan, '-g', 'web,dbb', '--json'])
  assert.equal(j.code, 2)
  const body = json<{error: {code: string; problems: Array<{message: string; suggestion?: string}>}}>(j)
  assert.equal(body.error.code, 'INVALID_INPUT')
  assert.deepEqual(body.error.problems.map((p) => p.suggestion), ['did you mean `db`?'])
})

test('an unknown label key or value (-l role=primay, -l rol) exits 2 with the closest; a known group with no match exits 7', async () => {
  const value = await dops(['hosts', '-f', plan, '-l', 'role=primay'])
  assert.equal(value.code, 2, value.stderr)
  assert.match(value.stderr, /no host has the label role=primay in environment prod \(role: primary, replica\) \(did you mean `role=primary`\?\)/)
  const key = await dops(['hosts', '-f', plan, '-l', 'rol'])
  assert.equal(key.code, 2)
  assert.match(key.stderr, /no host has a label `rol`.*did you mean `role`\?/)
  const group = await dops(['hosts', '-f', plan, '-l', 'tier=frontend'])
  assert.equal(group.code, 0, 'a label set on a group selects its hosts')
  const empty = await dops(['hosts', '-f', plan, '-g', 'db', '-l', 'tier=frontend'])
  assert.equal(empty.code, 7, 'names that exist but select nothing: nothing to do')
})
