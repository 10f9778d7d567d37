import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {test} from 'node:test'
import {buildRemoteCommand, shQuote} from '../../src/transport/remote-command.js'

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
  assert.equal(
    buildRemoteCommand({script: true, args: ['a b', "c'd"]}),
    `f=$(mktemp "\${TMPDIR:-/tmp}/dops-script.XXXXXX") && cat >"$f" && chmod 700 "$f" && { "$f" 'a b' 'c'\\''d'; rc=$?; rm -f "$f"; exit $rc; }`,
  )
  assert.throws(() => buildRemoteCommand({command: 'x', env: {'A;B': '1'}}), /invalid environment variable name/)
})
