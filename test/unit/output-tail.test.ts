import assert from 'node:assert/strict'
import {test} from 'node:test'
import {Chalk} from 'chalk'
import {formatOutputTail, printable} from '../../src/cli/output-tail.js'

const c = new Chalk({level: 0})

test('output tail: the last N lines under a failure line, nothing for no output', () => {
  const lines = Array.from({length: 12}, (_, i) => `line ${i + 1}`)
  assert.equal(formatOutputTail(c, lines, '  ', 3), '  … (last 3 lines)\n  │ line 10\n  │ line 11\n  │ line 12')
  assert.equal(formatOutputTail(c, 'one\ntwo\n\n', '  '), '  │ one\n  │ two')
  assert.equal(formatOutputTail(c, []), '')
  assert.equal(formatOutputTail(c, ''), '')
})

test('a host line reaches the terminal without escape sequences or control characters', () => {
  assert.equal(printable('a\x1b[31mred\x1b[0m b'), 'ared b')
  assert.equal(printable('10%\r50%\r100%\r'), '100%')
  assert.equal(printable('x\x1b]0;title\x07y'), 'xy')
  assert.equal(printable('tab\there\x01\x7f'), 'tab\there')
})
