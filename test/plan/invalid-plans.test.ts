import assert from 'node:assert/strict'
import {readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'
import {test} from 'node:test'
import {formatProblem, InvalidInputError} from '../../src/errors.js'
import {loadPlan} from '../../src/plan/load.js'
import {dops, ROOT} from '../helpers.js'

const dir = path.join(ROOT, 'test/fixtures/plans/invalid')
const fixtures = readdirSync(dir).filter((f) => f.endsWith('.yml'))

for (const name of fixtures) {
  test(`invalid plan ${name} is reported with its line, column and field`, async () => {
    const file = path.join(dir, name)
    const m = /^# expect: (\d+):(\d+) (.*)$/m.exec(readFileSync(file, 'utf8'))
    assert.ok(m, `${name} has an "# expect: LINE:COL message" first line`)
    const [, line, column, message] = m
    const err = await loadPlan(file, {env: {}}).then(
      () => assert.fail('the plan was accepted'),
      (e: unknown) => e,
    )
    assert.ok(err instanceof InvalidInputError, `InvalidInputError expected, got ${String(err)}`)
    const errors = err.problems.filter((p) => p.severity !== 'warning')
    const found = errors.find((p) => formatProblem(p).includes(message!))
    assert.ok(found, `expected a problem containing "${message}", got:\n${errors.map(formatProblem).join('\n')}`)
    assert.equal(`${found.line}:${found.column}`, `${line}:${column}`, formatProblem(found))
    assert.equal(found.file, file)
  })
}

test('every problem of a plan is reported at once', async () => {
  const {InvalidInputError: E} = await import('../../src/errors.js')
  const {parsePlan} = await import('../../src/plan/load.js')
  try {
    parsePlan('multi.yml', 'version: 1\nproject: x\nssh: {prot: 22, user: 5}\nenvironments: {prod: {groupz: {}}}\n')
    assert.fail('accepted')
  } catch (e) {
    assert.ok(e instanceof E)
    const text = e.problems.map(formatProblem).join('\n')
    assert.match(text, /multi\.yml:3:7: ssh\.prot: unknown key `prot`; did you mean `port`\?/)
    assert.match(text, /multi\.yml:3:23: ssh\.user: expected a string; got number `5`/)
    assert.match(text, /multi\.yml:4:23: environments\.prod\.groupz: unknown key `groupz`; did you mean `groups`\?/)
  }
})

test('dops validate prints file:line:col, exits 2, and never a stack trace', async () => {
  const r = await dops(['validate', '-f', path.join(dir, 'unknown-key.yml')])
  assert.equal(r.code, 2)
  assert.match(r.stderr, /unknown-key\.yml:8:9: environments\.prod\.groups\.web\.hots: unknown key `hots`; did you mean `hosts`\?/)
  assert.doesNotMatch(r.stderr, /\n\s+at /)
  const j = await dops(['validate', '-f', path.join(dir, 'cycle.yml'), '--json'])
  assert.equal(j.code, 2)
  const body = JSON.parse(j.stdout) as {error: {problems: Array<{line: number; message: string}>}}
  assert.equal(body.error.problems[0]!.line, 9)
  assert.match(body.error.problems[0]!.message, /dependency cycle/)
})

test('a missing plan file is a clear error', async () => {
  const r = await dops(['validate', '-f', '/nonexistent/dops.yml'])
  assert.equal(r.code, 2)
  assert.match(r.stderr, /cannot read plan file \/nonexistent\/dops\.yml: ENOENT/)
})
