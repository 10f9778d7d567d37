/** The aws provider's pure decisions: the instance type for a `2C4G` size, and how new instances spread over subnets. */
import assert from 'node:assert/strict'
import {test} from 'node:test'
import {spreadOverSubnets} from '../../src/providers/aws/provider.js'
import {parseSize, pickInstanceType} from '../../src/providers/aws/size.js'

test('sizes: an instance type as is, CPU and memory to the smallest fitting type, cheaper family on a tie', () => {
  assert.deepEqual(parseSize('t3.small'), {type: 't3.small'})
  assert.deepEqual(parseSize('2C4G'), {vcpus: 2, memoryGiB: 4})
  assert.deepEqual(parseSize('0.5C1G'), {type: '0.5C1G'}, 'not a whole CPU count: taken as a type name, which the API then refuses')
  const types = [
    {name: 'm5.large', vcpus: 2, memoryMiB: 8192},
    {name: 't3.medium', vcpus: 2, memoryMiB: 4096},
    {name: 't3a.medium', vcpus: 2, memoryMiB: 4096},
    {name: 'c5.large', vcpus: 2, memoryMiB: 4096},
    {name: 't3.small', vcpus: 2, memoryMiB: 2048},
  ]
  assert.equal(pickInstanceType(types, 2, 4)!.name, 't3a.medium')
  assert.equal(pickInstanceType(types, 2, 6)!.name, 'm5.large')
  assert.equal(pickInstanceType(types, 4, 4), undefined)
})

test('new instances go to the subnets with the fewest of the group, in the order given on a tie', () => {
  assert.deepEqual([...spreadOverSubnets(['a', 'b', 'c'], [], 4)], [['a', 2], ['b', 1], ['c', 1]])
  assert.deepEqual([...spreadOverSubnets(['a', 'b'], ['a', 'a', 'b'], 3)], [['b', 2], ['a', 1]])
  assert.deepEqual([...spreadOverSubnets(['a', 'b'], ['elsewhere'], 2)], [['a', 1], ['b', 1]])
  assert.deepEqual([...spreadOverSubnets(['a'], [], 0)], [])
})
