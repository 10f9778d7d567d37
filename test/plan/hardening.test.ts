/**
 * Plans that used to end in "this is a bug in dops", hang, exhaust memory or show a secret: each is now a located
 * problem (file:line:col, exit 2). Issues 8 and 9.
 */
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {mkdtempSync, mkdirSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {test} from 'node:test'
import {formatProblem, InvalidInputError, type Problem} from '../../src/errors.js'
import {parsePlan} from '../../src/plan/load.js'
import {validateJob} from '../../src/validate-job.js'
import {MAX_DURATION_MS, parseDuration} from '../../src/util/duration.js'
import {dops} from '../helpers.js'

const HEAD = 'version: 1\nproject: x\n'

/** The problems of an invalid plan (fails the test when the plan is accepted or the error is not InvalidInputError). */
function problemsOf(text: string, env: NodeJS.ProcessEnv = {}, file = '/tmp/p/dops.yml'): Problem[] {
  try {
    parsePlan(file, text, {env})
  } catch (e) {
    assert.ok(e instanceof InvalidInputError, `InvalidInputError expected, got ${(e as Error).stack}`)
    return e.problems.filter((p) => p.severity !== 'warning')
  }
  assert.fail('the plan was accepted')
}

function expectAt(text: string, line: number, column: number, message: RegExp, env: NodeJS.ProcessEnv = {}): void {
  const ps = problemsOf(text, env)
  const found = ps.find((p) => message.test(formatProblem(p)))
  assert.ok(found, `expected ${message} in:\n${ps.map(formatProblem).join('\n')}`)
  assert.equal(`${found.line}:${found.column}`, `${line}:${column}`, formatProblem(found))
}

test('an alias of an undefined anchor is a located error', () => {
  expectAt(HEAD + 'vars: {a: *nope}\n', 3, 11, /YAML alias \*nope refers to an anchor &nope that is not defined/)
})

test('an alias bomb is a located error, not an exit 1', () => {
  // billion laughs: 9^8 values from 8 short lines
  const lines = ['a: &a [x, x, x, x, x, x, x, x, x]', ...'bcdefgh'.split('').map((c, i) => `${c}: &${c} [${Array(9).fill('*' + 'abcdefgh'[i]).join(', ')}]`)]
  expectAt(HEAD + 'vars:\n  z: 1\n' + lines.join('\n') + '\n', 6, 8, /YAML aliases expand to too many values/)
})

test('nesting too deep for the parser is a located error in words', () => {
  // where the parser gives up depends on the stack size: the line is certain, the column is somewhere in the brackets
  const p = problemsOf(HEAD + 'vars: {a: ' + '['.repeat(5000) + ']'.repeat(5000) + '}\n').find((x) => /YAML nested too deeply/.test(x.message))
  assert.ok(p && p.line === 3 && p.column! > 10, JSON.stringify(p))
})

test('a recursive alias is a located error', () => {
  expectAt(HEAD + 'vars: &v {a: *v}\n', 3, 14, /inside the value it refers to/)
})

test('list values where scalars are expected, ssh.config: 5, !!binary and __proto__ keys are located errors', () => {
  expectAt(HEAD + 'vars: {a: [1, 2]}\n', 3, 11, /vars\.a: expected a string or a number or true or false; got a list/)
  expectAt(HEAD + 'environments:\n  prod:\n    groups:\n      web:\n        hosts: [a]\n        labels: {r: [a]}\n', 8, 21, /labels\.r: expected .*got a list/)
  expectAt(HEAD + 'ssh: {config: 5}\n', 3, 15, /ssh\.config: expected a string or true or false; got number `5`/)
  expectAt(HEAD + 'vars: {a: !!binary aGVsbG8=}\n', 3, 20, /binary data \(!!binary\) is not supported/)
  expectAt(HEAD + 'vars: {__proto__: {polluted: 1}}\n', 3, 8, /the key `__proto__` is not allowed/)
  expectAt(HEAD + '__proto__: 1\n', 3, 1, /the key `__proto__` is not allowed/)
  assert.equal(({} as Record<string, unknown>).polluted, undefined)
})

test('references are checked even when the schema found problems elsewhere: all at once', () => {
  const text = HEAD + 'ssh: {port: "22"}\napps: {web: {source: ./site}}\nenvironments:\n  prod:\n    groups:\n      a: {hosts: [h1], apps: [wbe], dependsOn: [nosuch]}\n'
  const all = problemsOf(text).map(formatProblem).join('\n')
  assert.match(all, /ssh\.port: expected an integer/)
  assert.match(all, /app `wbe` is not defined under `apps`; did you mean `web`\?/)
  assert.match(all, /dependency `nosuch` is not a group of environment prod/)
})

test('pattern mismatches are said in words, never as a regular expression', () => {
  const ps = problemsOf('version: 1\nproject: My_Project\nenvironments:\n  Prod: {groups: {}}\n')
  const text = ps.map(formatProblem).join('\n')
  assert.match(text, /project: string `My_Project` must be lower-case letters, digits and dashes/)
  assert.match(text, /invalid name `Prod`: a name here must be lower-case letters, digits and dashes, starting with a letter/)
  assert.doesNotMatch(text, /\^|\$|\[a-z/)
})

test('a value from ${env:..} is never shown in a validation error (project, port, providers)', () => {
  const env = {PROJ: 'Hunter2Secret', PORT: 'pw-7654321', KIND: 'sekrit-kind'}
  const ps = problemsOf('version: 1\nproject: ${env:PROJ}\nssh: {port: "${env:PORT}"}\nproviders: {p: {type: "${env:KIND}"}}\n', env)
  const text = ps.map(formatProblem).join('\n')
  assert.match(text, /project: the value of \$\{env:PROJ\} must be lower-case/)
  assert.match(text, /ssh\.port: expected an integer; got the value of \$\{env:PORT\}/)
  for (const v of Object.values(env)) assert.ok(!text.includes(v), `${v} leaked:\n${text}`)
})

test('${file:..} reads regular files of at most 1 MiB: /dev/zero and a FIFO are located errors, at once', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dops-hard-'))
  execFileSync('mkfifo', [path.join(dir, 'fifo')])
  writeFileSync(path.join(dir, 'big'), Buffer.alloc(1024 * 1024 + 1, 'a'))
  const ps = problemsOf(HEAD + 'vars:\n  a: "${file:/dev/zero}"\n  b: "${file:fifo}"\n  c: "${file:big}"\n', {}, path.join(dir, 'dops.yml'))
  const text = ps.map(formatProblem).join('\n')
  assert.match(text, /dops\.yml:4:6: cannot read \/dev\/zero for \$\{file:\/dev\/zero\}: not a regular file/)
  assert.match(text, /dops\.yml:5:6: cannot read .*fifo for \$\{file:fifo\}: not a regular file/)
  assert.match(text, /dops\.yml:6:6: cannot read .*big for \$\{file:big\}: larger than 1 MiB/)
})

test('ports of host entries must be 1-65535: 0, 99999 and abc are located errors', () => {
  const ps = problemsOf(HEAD + 'environments:\n  prod:\n    groups:\n      web:\n        hosts: [a:0, b:99999, "c:abc", d:22, "[::1]:70000", "e@f:2222"]\n')
  const text = ps.map(formatProblem).join('\n')
  assert.match(text, /7:17: environments\.prod\.groups\.web\.hosts\[0\]: host `a:0`: port 0 is out of range/)
  assert.match(text, /7:22: .*host `b:99999`: port 99999 is out of range/)
  assert.match(text, /7:31: .*host `c:abc`: port `abc` is not a number/)
  assert.match(text, /host `\[::1\]:70000`: port 70000 is out of range/)
  assert.equal(ps.length, 4, text)
  expectAt(HEAD + 'ssh: {proxyJump: "ops@gw:22,gw2:0"}\n', 3, 18, /ssh\.proxyJump: jump host `gw2:0`: port 0 is out of range/)
})

test('durations over 2^31-1 ms are refused (a timer would fire after 1 ms): flags and plans', async () => {
  assert.throws(() => parseDuration('600h'), /duration `600h` is too long: the most is 596h/)
  assert.equal(parseDuration('596h'), 596 * 3_600_000)
  assert.ok(parseDuration('596h')! <= MAX_DURATION_MS)
  assert.throws(() => parseDuration(1e12), /too long/)
  expectAt(HEAD + 'ssh: {connectTimeout: 600h}\n', 3, 23, /ssh\.connectTimeout: duration `600h` is too long/)
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dops-hard-'))
  writeFileSync(path.join(dir, 'inv.ini'), '[web]\n192.0.2.1\n')
  const r = await dops(['run', '-i', path.join(dir, 'inv.ini'), '--timeout', '600h', '--', 'true'])
  assert.equal(r.code, 2, r.stderr)
  assert.match(r.stderr, /duration `600h` is too long/)
})

test('dops validate reports bootstrap and event scripts that do not exist, with the schema problems', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dops-hard-'))
  mkdirSync(path.join(dir, 'scripts'))
  writeFileSync(path.join(dir, 'scripts/ok.sh'), '#!/bin/sh\n')
  writeFileSync(
    path.join(dir, 'dops.yml'),
    HEAD +
      'environments:\n  prod:\n    groups:\n      lb: {provider: local, instance: {count: 1}}\n      web:\n        provider: local\n        instance: {count: 1}\n' +
      '        bootstrap:\n          - script: scripts/ok.sh\n          - script: scripts/missing.sh\n' +
      '        on:\n          hostsJoined: [{group: lb, script: scripts/upstreams.sh}]\n          hostsLeft: [{group: lb, script: scripts}]\nssh: {port: nope}\n',
  )
  const err = await validateJob({cwd: dir, env: {}}).then(() => assert.fail('accepted'), (e: unknown) => e)
  assert.ok(err instanceof InvalidInputError)
  const text = err.problems.map(formatProblem).join('\n')
  assert.match(text, /dops\.yml:12:21: environments\.prod\.groups\.web\.bootstrap\[1\]\.script: bootstrap script .*scripts\/missing\.sh does not exist/)
  assert.match(text, /dops\.yml:14:45: .*hostsJoined\[0\]\.script: hostsJoined script .*scripts\/upstreams\.sh does not exist/)
  assert.match(text, /dops\.yml:15:43: .*hostsLeft\[0\]\.script: hostsLeft script .*scripts is not a regular file/)
  assert.match(text, /dops\.yml:16:13: ssh\.port: expected an integer; got string `nope`/)
  assert.doesNotMatch(text, /ok\.sh/)
})

test('dops validate: the bad inputs of issue 9 exit 2 with file:line:col, never "bug in dops"', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dops-hard-'))
  const cases = {
    'alias.yml': HEAD + 'vars: {a: *nope}\n',
    'list.yml': HEAD + 'vars: {a: [1, 2]}\n',
    'binary.yml': HEAD + 'vars: {a: !!binary aGVsbG8=}\n',
    'proto.yml': HEAD + 'vars: {__proto__: 1}\n',
  }
  for (const [name, text] of Object.entries(cases)) {
    writeFileSync(path.join(dir, name), text)
    const r = await dops(['validate', '-f', path.join(dir, name)])
    assert.equal(r.code, 2, `${name}: ${r.stderr}`)
    assert.match(r.stderr, new RegExp(`${name.replace('.', '\\.')}:3:\\d+: `))
    assert.doesNotMatch(r.stderr, /bug in dops/)
  }
})
