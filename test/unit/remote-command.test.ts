import assert from 'node:assert/strict'
import {execFileSync, spawnSync} from 'node:child_process'
import {chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {test} from 'node:test'
import {hostEnv, varsEnv} from '../../src/fleet/host-env.js'
import type {Host} from '../../src/inventory/host.js'
import {buildRemoteCommand, buildRemoteExec, encodeEnvValue, ENV_BLOCK_EXIT_CODE, shQuote} from '../../src/transport/remote-command.js'

test('shQuote survives a real shell for hostile values', () => {
  for (const v of ["it's", '$(rm -rf /)', '`id`', 'a b\tc\nd', '"; echo pwned', '', '*', '\\', "''"]) {
    const out = execFileSync('sh', ['-c', `printf %s ${shQuote(v)}`]).toString()
    assert.equal(out, v)
  }
})

test('commands are built as exact strings', () => {
  assert.equal(buildRemoteCommand({command: 'uptime'}), 'uptime')
  assert.equal(buildRemoteCommand({command: 'echo $HOME', timeoutSec: 30}), `timeout -k 5 30 sh -c 'echo $HOME'`)
  assert.equal(buildRemoteCommand({command: 'id', runAs: 'app user', timeoutSec: 1.2}), `sudo -n -H -u 'app user' -- timeout -k 5 2 sh -c id`)
  assert.equal(buildRemoteCommand({command: 'id', sudo: true}), 'sudo -n -- sh -c id')
  assert.equal(buildRemoteCommand({command: 'id', env: {A: 'x y'}}), `env A='x y' sh -c id`)
  const script = `DOPS__f=$(mktemp "\${TMPDIR:-/tmp}/dops-script.XXXXXX") && cat >"$DOPS__f" && chmod 700 "$DOPS__f" && { "$DOPS__f" 'a b' 'c'\\''d'; DOPS__rc=$?; rm -f "$DOPS__f"; exit $DOPS__rc; }`
  assert.equal(buildRemoteCommand({script: true, args: ['a b', "c'd"]}), script)
  // through sudo: the login user saves the script, the target user runs it (755 for another user)
  assert.equal(buildRemoteCommand({script: true, args: ['a b', "c'd"], sudo: true}), script.replace('{ "$DOPS__f"', '{ sudo -n -- "$DOPS__f"'))
  assert.equal(buildRemoteCommand({script: true, runAs: 'app'}), script.replace(" 'a b' 'c'\\''d'", '').replace('700', '755').replace('{ "$DOPS__f"', '{ sudo -n -H -u app -- "$DOPS__f"'))
  assert.throws(() => buildRemoteCommand({command: 'x', env: {'A;B': '1'}}), /invalid environment variable name/)
  assert.throws(() => buildRemoteCommand({command: 'x', stdinEnv: {'A B': '1'}}), /invalid environment variable name/)
  assert.throws(() => encodeEnvValue('a\0b'), /NUL/)
})

// values a shell, `read` or `printf` could mangle: each must arrive byte for byte
const HOSTILE: Record<string, string> = {
  QUOTES: `it's "double" \`tick\` $(id) $HOME \${X} \\ \\n \\0101 %s %b %%`,
  NEWLINES: 'line 1\nline 2\n\n',
  LEADING: '  \t spaced  \t',
  UNICODE: 'ünïcødé ☃ 𝄞 🎉 日本',
  EMPTY: '',
  DASH: '-n',
  DOT: '.',
  CR: 'a\r\nb\r',
  CONTROL: '\x01\x1b[31m\x7f',
  LONG: 'x'.repeat(20_000),
  f: 'a variable named like the script file',
  rc: '7',
  PS4: 'a name the shell also uses',
}

const shells = ['sh', 'bash', 'dash'].filter((s) => spawnSync(s, ['-c', 'true']).status === 0)

/** Run the built command with a real shell; the payload prints every name's value NUL-terminated. */
function roundTrip(shell: string, script: boolean, extra: Partial<Parameters<typeof buildRemoteExec>[0]> = {}, env: NodeJS.ProcessEnv = {PATH: process.env.PATH}) {
  const dump = `for n in ${Object.keys(HOSTILE).join(' ')} PLAIN; do eval "printf '%s\\\\0' \\"\\$$n\\""; done; printf 'stdin:'; cat`
  const spec = script ? {script: true, args: ['x y']} : {command: dump}
  const e = buildRemoteExec({...spec, env: {PLAIN: 'on the line'}, stdinEnv: HOSTILE, ...extra}, script ? `#!/bin/sh\n${dump}\n` : 'the rest of stdin\n')
  const r = spawnSync(shell, ['-c', e.command], {input: e.stdin, env})
  return {r, e, values: r.stdout.toString('utf8').split('\0')}
}

for (const shell of shells)
  for (const script of [false, true])
    test(`secret environment values round-trip exactly (${shell}, ${script ? 'script' : 'command'})`, () => {
      const {r, e, values} = roundTrip(shell, script)
      assert.equal(r.status, 0, r.stderr.toString())
      assert.deepEqual(values.slice(0, -1), [...Object.values(HOSTILE), 'on the line'])
      // what follows the block on stdin is the command's (a script's text was consumed by the upload)
      assert.equal(values.at(-1), script ? 'stdin:' : 'stdin:the rest of stdin\n')
      for (const v of Object.values(HOSTILE).filter((x) => x.length > 3)) {
        assert.ok(!e.command.includes(v), 'no secret value on the command line')
        assert.ok(!e.command.includes(encodeEnvValue(v)), 'no encoded secret value on the command line')
      }
    })

test('through sudo the block is read by the shell sudo starts: nothing secret on sudo argv', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dops-fake-sudo-'))
  try {
    // a stand-in sudo: records its argv, drops its options and runs the rest
    writeFileSync(path.join(dir, 'sudo'), `#!/bin/sh\nprintf '%s\\n' "$@" >>${shQuote(path.join(dir, 'argv'))}\nwhile [ "$1" != -- ]; do shift; done; shift; exec "$@"\n`)
    chmodSync(path.join(dir, 'sudo'), 0o755)
    for (const script of [false, true])
      for (const extra of [{sudo: true}, {runAs: 'app'}]) {
        const {r, e, values} = roundTrip('sh', script, {...extra, timeoutSec: 30}, {PATH: `${dir}:${process.env.PATH}`})
        assert.equal(r.status, 0, r.stderr.toString())
        assert.match(e.command, /sudo -n /)
        assert.deepEqual(values.slice(0, -1), [...Object.values(HOSTILE), 'on the line'])
      }
    const argv = readFileSync(path.join(dir, 'argv'), 'utf8')
    assert.match(argv, /while IFS= read -r DOPS__l/)
    for (const v of Object.values(HOSTILE).filter((x) => x.length > 3)) assert.ok(!argv.includes(v) && !argv.includes(encodeEnvValue(v)))
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
})

test('a block cut short stops the command before it runs', () => {
  const e = buildRemoteExec({command: 'echo RAN'}, undefined)
  assert.equal(e.stdin, undefined, 'no secret: no block')
  const s = buildRemoteExec({command: 'echo RAN', stdinEnv: {A: 'secret'}})
  const r = spawnSync('sh', ['-c', s.command], {input: s.stdin!.slice(0, -2)})
  assert.equal(r.status, ENV_BLOCK_EXIT_CODE)
  assert.ok(!r.stdout.toString().includes('RAN'))
  assert.match(r.stderr.toString(), /environment block/)
})

const host = (vars: Record<string, unknown>): Host => ({name: 'web-1', address: '10.0.0.5', group: 'web', groups: ['web'], env: 'prod', labels: {}, vars})

test('host variables: valid shell names only, dops and Ansible names left out, values as text or JSON', () => {
  const vars = {ok_name: 'a', _x9: 1.5, FLAG: true, list: [1, 'two'], obj: {a: {b: null}}, nul: null, '1abc': 'x', 'a-b': 'x', 'a.b': 'x', 'a b': 'x', 'é': 'x', DOPS_HOST: 'spoof', DOPS__f: 'x', ansible_password: 'pw', ANSIBLE_become_pass: 'pw', bad: 'has\0nul'}
  assert.deepEqual(varsEnv(vars), {ok_name: 'a', _x9: '1.5', FLAG: 'true', list: '[1,"two"]', obj: '{"a":{"b":null}}', nul: 'null'})
  const env = hostEnv(host(vars), {project: 'shop', address: '127.0.0.9'}, {APP: 'x', DOPS_HOST: 'not this'})
  assert.equal(env.DOPS_HOST, 'web-1', "dops's own win")
  assert.deepEqual([env.DOPS_HOST_ADDRESS, env.DOPS_GROUP, env.DOPS_ENV, env.DOPS_PROJECT, env.APP], ['127.0.0.9', 'web', 'prod', 'shop', 'x'])
  assert.deepEqual(Object.keys(env).sort(), ['APP', 'DOPS_ENV', 'DOPS_GROUP', 'DOPS_HOST', 'DOPS_HOST_ADDRESS', 'DOPS_PROJECT', 'FLAG', '_x9', 'list', 'nul', 'obj', 'ok_name'])
  // without a plan (-i INVENTORY): no project, no environment
  const bare = hostEnv({...host({}), env: undefined}, {})
  assert.deepEqual([bare.DOPS_PROJECT, bare.DOPS_ENV, bare.DOPS_HOST_ADDRESS], ['', '', '10.0.0.5'])
})
