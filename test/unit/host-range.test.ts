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
