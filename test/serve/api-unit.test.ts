/** Pure parts of the API server: --listen parsing and the loopback rule, tokens from DOPS_TOKENS and files, SSE frames. */
import assert from 'node:assert/strict'
import {test} from 'node:test'
import {compilePending, compileRouteSchema, describeValidation} from '../../src/serve/ajv.js'
import {checkBind, isLoopback, parseListen} from '../../src/serve/listen.js'
import {sseFrame} from '../../src/serve/sse.js'
import {findToken, parseTokensEnv, parseTokensFile, tokenName} from '../../src/serve/tokens.js'
import type {DopsError} from '../../src/errors.js'

test('--listen: HOST:PORT, [v6]:PORT, port 0; anything else is refused with what is expected', () => {
  assert.deepEqual(parseListen('127.0.0.1:8080'), {host: '127.0.0.1', port: 8080})
  assert.deepEqual(parseListen('[::1]:0'), {host: '::1', port: 0})
  assert.deepEqual(parseListen('localhost:9000'), {host: 'localhost', port: 9000})
  for (const bad of ['127.0.0.1', ':8080', '::1:8080', '[::1]', '[nope]:80', '1.2.3.4:70000', 'a b:80', '']) assert.throws(() => parseListen(bad), /expected HOST:PORT|0-65535|not an IPv6 address/, bad)
})

test('loopback addresses need no TLS; others need TLS or --insecure-http', () => {
  for (const h of ['127.0.0.1', '127.9.8.7', '::1', '::ffff:127.0.0.1', 'localhost', 'LOCALHOST']) assert.equal(isLoopback(h), true, h)
  for (const h of ['0.0.0.0', '::', '10.0.0.1', '128.0.0.1', '::ffff:10.0.0.1', 'example.com', '127.example.com']) assert.equal(isLoopback(h), false, h)
  assert.throws(() => checkBind({host: '0.0.0.0', port: 80}, {tls: false, insecureHttp: false}), /refusing to listen on 0\.0\.0\.0:80 without TLS/)
  assert.throws(() => checkBind({host: '::', port: 80}, {tls: false, insecureHttp: false}), /refusing to listen on \[::\]:80/)
  checkBind({host: '0.0.0.0', port: 80}, {tls: true, insecureHttp: false})
  checkBind({host: '0.0.0.0', port: 80}, {tls: false, insecureHttp: true})
})

test('tokens: DOPS_TOKENS and files give digests with roles and names; problems are located and never show a token', () => {
  const a = 'aaaaaaaaaaaaaaaaaaaa'
  const b = 'b:b:bbbbbbbbbbbbbbbbbb'
  const set = parseTokensEnv(`${a}:read, ${b}:operate,`)
  assert.deepEqual(set.entries.map((e) => [e.role, e.name]), [['read', tokenName(a)], ['operate', tokenName(b)]])
  assert.equal(findToken(set, b)?.role, 'operate', 'the role is after the last colon')
  assert.equal(findToken(set, 'a'.repeat(19)), undefined)
  assert.equal(findToken(set, ''), undefined)
  assert.match(tokenName(a), /^token-[0-9a-f]{6}$/)
  const file = parseTokensFile('tokens', `# comment\n\n  ${a} operate alice\r\n${b} read\n`)
  assert.deepEqual(file.entries.map((e) => [e.role, e.name]), [['operate', 'alice'], ['read', tokenName(b)]])
  const secret = 'cccccccccccccccccccccccc'
  try {
    parseTokensFile('tokens', `${secret} root\nshort read\n${secret}\n${secret} read bad/name\n`)
    assert.fail('refused')
  } catch (e) {
    const problems = (e as DopsError).problems
    assert.deepEqual(problems.map((p) => `${p.file}:${p.line}:${p.column}`), ['tokens:1:1', 'tokens:2:1', 'tokens:3:1', 'tokens:4:31'])
    assert.match(problems[0]!.message, /role `root`: expected read or operate/)
    assert.match(problems[1]!.message, /shorter than 16/)
    assert.ok(!JSON.stringify(problems).includes(secret), 'no token in a problem')
  }
  assert.throws(() => parseTokensEnv(`${a}`), (e: DopsError) => e.problems[0]!.path === 'item 1')
})

test('an SSE frame: id, event, one line of JSON data', () => {
  assert.equal(sseFrame({seq: 7, at: 'x', type: 'host.output', data: {line: 'a\nb'}}), 'id: 7\nevent: host.output\ndata: {"line":"a\\nb"}\n\n')
})

test('route validators: compiled on first use or by compilePending, which names a schema Ajv refuses; bodies are not coerced, queries are', () => {
  const bad = compileRouteSchema({schema: {type: 'object', properties: {n: {type: 'nope'}}}, httpPart: 'body'})
  const body = compileRouteSchema({schema: {type: 'object', additionalProperties: false, properties: {n: {type: 'integer'}}}, httpPart: 'body'})
  const query = compileRouteSchema({schema: {type: 'object', properties: {n: {type: 'integer'}}}, httpPart: 'querystring'})
  const errors = compilePending()
  assert.equal(errors.length, 1)
  assert.match(errors[0]!.message, /schema is invalid: data\/properties\/n\/type/)
  assert.throws(() => bad({}), 'the route answers 500 rather than validate with a broken schema')
  assert.equal(body(null), true, 'no body is the empty object')
  assert.equal(body({n: '3'}), false, 'a body is validated as sent')
  assert.equal(describeValidation(body.errors, 'body'), 'body.n: must be integer')
  assert.equal(body({x: 1}), false)
  assert.equal(describeValidation(body.errors, 'body'), 'body: unknown field `x`')
  const q = {n: '3'}
  assert.equal(query(q), true)
  assert.deepEqual(q, {n: 3}, 'a query string is coerced in place')
  assert.deepEqual(compilePending(), [])
})
