/**
 * Redaction (pure logic): streamed text split anywhere gives the same result as the whole text; short secrets are
 * redacted as whole tokens; templates rebuild exactly the text they were made from.
 */
import assert from 'node:assert/strict'
import {test} from 'node:test'
import {fromTemplate, makeRedactor, StreamRedactor, toTemplate} from '../../src/util/redact.js'

/** A small seeded generator, so a failure can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32)
}

test('short secrets are redacted as whole tokens only; long ones everywhere; the longer secret wins', () => {
  const r = makeRedactor(['42', 'x', 'hunter2', 'hunter2-long', 'é'])
  assert.equal(r('pin=42 420 x42 42'), 'pin=*** 420 x42 ***')
  assert.equal(r('x marks max'), '*** marks max')
  assert.equal(r('pw:hunter2-long and hunter2x'), 'pw:*** and ***x')
  assert.equal(r('café é'), 'café ***')
})

test('a stream split at every possible place redacts as the whole text does', () => {
  const secrets = ['-----BEGIN-----\nabc\ndef\n-----END-----', 'tok3n-value', '42', 'ab', 'abab', 'bab']
  const whole = makeRedactor(secrets)
  const random = rng(7)
  const alphabet = ['tok3n-value', '-----BEGIN-----\nabc\ndef\n-----END-----', '42', ' ', '\n', 'ab', 'x', '4', '2', 'tok3n', '-value', 'a', 'b', '=']
  for (let n = 0; n < 3000; n++) {
    let text = ''
    const len = 1 + Math.floor(random() * 12)
    for (let i = 0; i < len; i++) text += alphabet[Math.floor(random() * alphabet.length)]
    const s = new StreamRedactor(secrets)
    let out = ''
    for (let at = 0; at < text.length; ) {
      const step = 1 + Math.floor(random() * 6)
      out += s.push(text.slice(at, at + step))
      at += step
    }
    out += s.end()
    assert.equal(out, whole(text), JSON.stringify(text))
  }
})

test('a template rebuilds its text exactly and names each secret by its source', () => {
  const refs = new Map([['s3cret', 'env:APP'], ['42', 'file:/run/pin']])
  const text = 'rm -rf /srv/s3cret-tmp && echo 42 420'
  const t = toTemplate(text, refs)!
  assert.deepEqual(t, ['rm -rf /srv/', {ref: 'env:APP'}, '-tmp && echo ', {ref: 'file:/run/pin'}, ' 420'])
  assert.equal(fromTemplate(t, (ref) => [...refs].find(([, r]) => r === ref)![0]), text)
  assert.equal(toTemplate('nothing secret', refs), undefined)
})

test('streamed text is held back only where it may begin a secret', () => {
  const s = new StreamRedactor(['-----BEGIN KEY-----\n' + 'k'.repeat(1500), '42'])
  assert.equal(s.push('progress 50%\n'), 'progress 50%\n')
  assert.equal(s.push('next: ---'), 'next: ')
  assert.equal(s.push('x\npin 42'), '---x\npin ')
  assert.equal(s.end(), '***')
})
