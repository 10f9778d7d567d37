import assert from 'node:assert/strict'
import {readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'
import {test} from 'node:test'
import {formatProblem} from '../../src/errors.js'
import {parseAppspec} from '../../src/deploy/appspec/parse.js'
import {ROOT} from '../helpers.js'

const dir = (k: string) => path.join(ROOT, 'test/fixtures/appspecs', k)

for (const name of readdirSync(dir('valid'))) {
  test(`valid appspec ${name} parses in strict mode without errors or warnings`, () => {
    const file = path.join(dir('valid'), name)
    const r = parseAppspec(file, readFileSync(file, 'utf8'))
    assert.deepEqual(r.problems.map(formatProblem), [])
    assert.ok(r.appspec)
  })
}

for (const name of readdirSync(dir('invalid'))) {
  test(`invalid appspec ${name}: the expected problem at its line and column`, () => {
    const file = path.join(dir('invalid'), name)
    const text = readFileSync(file, 'utf8')
    const m = /^# expect: (\d+):(\d+) (.*)$/m.exec(text)
    assert.ok(m, 'fixture has an expect line')
    const compat = /^# compat: (\w+)$/m.exec(text)?.[1] ?? 'error'
    const strict = parseAppspec(file, text, 'strict')
    const found = strict.problems.find((p) => formatProblem(p).includes(m[3]!))
    assert.ok(found, `expected "${m[3]}" in:\n${strict.problems.map(formatProblem).join('\n')}`)
    assert.equal(`${found.line}:${found.column}`, `${m[1]}:${m[2]}`, formatProblem(found))
    assert.equal(found.severity, 'error')
    assert.equal(strict.appspec, undefined)
    const loose = parseAppspec(file, text, 'compat')
    const again = loose.problems.find((p) => formatProblem(p).includes(m[3]!))
    assert.equal(again?.severity, compat, `compat mode: ${compat}`)
    if (compat === 'warning') assert.ok(loose.appspec, 'compat mode accepts it')
  })
}

test('the sample app parses into files and hooks in lifecycle terms', () => {
  const file = path.join(dir('valid'), 'sample-app-linux.yml')
  const a = parseAppspec(file, readFileSync(file, 'utf8')).appspec!
  assert.deepEqual(a.files, [{source: 'index.html', destination: '/var/www/html'}])
  assert.deepEqual(a.hooks.BeforeInstall!.map((h) => [h.location, h.timeoutSec, h.runas]), [['scripts/install_dependencies', 300, 'root'], ['scripts/start_server', 300, 'root']])
  assert.equal(a.hooks.ApplicationStop![0]!.location, 'scripts/stop_server')
})

test('everything: modes, defaults and null events', () => {
  const file = path.join(dir('valid'), 'everything.yml')
  const a = parseAppspec(file, readFileSync(file, 'utf8')).appspec!
  assert.equal(a.fileExistsBehavior, 'OVERWRITE')
  assert.deepEqual(a.permissions.map((p) => p.mode), ['0750', '755'])
  assert.deepEqual(a.permissions[0]!.type, ['directory'])
  assert.deepEqual(a.permissions[1]!.except, [])
  assert.equal('BeforeInstall' in a.hooks, false, 'an event with no value is dropped')
  assert.deepEqual(a.hooks.AfterBlockTraffic, [], 'an empty list is kept')
  assert.equal(a.hooks.ApplicationStart![0]!.sudo, true)
  assert.equal(a.hooks.ValidateService![0]!.timeoutSec, 30)
})

test('unquoted 0644 is applied as written in compat mode; a BOM is stripped with a warning', () => {
  const r = parseAppspec('a.yml', '\ufeffversion: 0.0\nos: linux\npermissions:\n  - object: /srv\n    mode: 0644\n', 'compat')
  assert.equal(r.appspec!.permissions[0]!.mode, '0644')
  assert.ok(r.problems.some((p) => p.severity === 'warning' && /byte order mark/.test(p.message)))
})

test('JSON text is YAML too, and a missing timeout defaults to 3600', () => {
  const r = parseAppspec('a.yml', '{"version": 0.0, "os": "linux", "hooks": {"AfterInstall": [{"location": "x.sh"}]}}')
  assert.equal(r.appspec!.hooks.AfterInstall![0]!.timeoutSec, 3600)
})

test('the editor schema lists exactly the scripted events the parser knows', async () => {
  const {SCRIPTED_EVENTS} = await import('../../src/deploy/appspec/types.js')
  const schema = JSON.parse(readFileSync(path.join(ROOT, 'schemas/appspec.schema.json'), 'utf8')) as {properties: {hooks: {propertyNames: {enum: string[]}}}}
  assert.deepEqual(schema.properties.hooks.propertyNames.enum, [...SCRIPTED_EVENTS])
})

test('the valid fixtures pass the editor schema too', async () => {
  const {Ajv} = await import('ajv')
  const {parse} = await import('yaml')
  const validate = new Ajv({strict: false}).compile(JSON.parse(readFileSync(path.join(ROOT, 'schemas/appspec.schema.json'), 'utf8')))
  for (const name of readdirSync(dir('valid'))) assert.ok(validate(parse(readFileSync(path.join(dir('valid'), name), 'utf8'))), `${name}: ${JSON.stringify(validate.errors)}`)
})
