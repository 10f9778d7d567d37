import assert from 'node:assert/strict'
import {test} from 'node:test'
import {expandHostRange} from '../../src/inventory/host-range.js'

test('host ranges expand like Ansible', () => {
  assert.deepEqual(expandHostRange('web[01:03].example.com'), ['web01.example.com', 'web02.example.com', 'web03.example.com'])
  assert.deepEqual(expandHostRange('db-[a:c]'), ['db-a', 'db-b', 'db-c'])
  assert.deepEqual(expandHostRange('n[0:6:3]'), ['n0', 'n3', 'n6'])
  assert.deepEqual(expandHostRange('r[1:2]c[1:2]'), ['r1c1', 'r1c2', 'r2c1', 'r2c2'])
  assert.deepEqual(expandHostRange('plain'), ['plain'])
  assert.equal(expandHostRange('web[1:20]').length, 20)
  assert.throws(() => expandHostRange('web[5:1]'), /ends before it starts/)
  assert.throws(() => expandHostRange('web[a:10]'), /invalid host range/)
})

test('host patterns are counted before they are expanded, and capped at MAX_HOSTS', async () => {
  const {countHostRange, MAX_HOSTS} = await import('../../src/inventory/host-range.js')
  assert.equal(countHostRange('h[0:9999]-[0:9999]-[0:9999]'), 1e12)
  assert.equal(countHostRange('n[0:10:3]x[a:c]'), 12)
  assert.equal(countHostRange('plain'), 1)
  assert.equal(MAX_HOSTS, 100_000)
  const before = process.memoryUsage().heapUsed
  assert.throws(() => expandHostRange('h[0:9999]-[0:9999]-[0:9999]'), /expands to 1,000,000,000,000 hosts; the most is 100,000/)
  assert.ok(process.memoryUsage().heapUsed - before < 50 * 1024 * 1024, 'nothing was expanded')
  assert.equal(expandHostRange('h[1:100000]').length, 100_000)
  assert.throws(() => expandHostRange('h[1:100001]'), /expands to 100,001 hosts/)
  // many ranges of one value each: no recursion per range
  assert.deepEqual(expandHostRange('a' + '[1:1]'.repeat(20_000)), ['a' + '1'.repeat(20_000)])
})
