import assert from 'node:assert/strict'
import {test} from 'node:test'
import {failureBudget, parseCountOrPercent, planBatches} from '../../src/fleet/batches.js'

test('batches: all at once by default, counts, percentages rounded up, lists with the last repeating', () => {
  assert.deepEqual(planBatches(10), [10])
  assert.deepEqual(planBatches(10, 3), [3, 3, 3, 1])
  assert.deepEqual(planBatches(10, '20%'), [2, 2, 2, 2, 2])
  assert.deepEqual(planBatches(9, '25%'), [3, 3, 3])
  assert.deepEqual(planBatches(3, '1%'), [1, 1, 1])
  assert.deepEqual(planBatches(20, [1, '10%', '50%']), [1, 2, 10, 7])
  assert.deepEqual(planBatches(5, [1, 2]), [1, 2, 2])
  assert.deepEqual(planBatches(0, 3), [])
  assert.deepEqual(planBatches(4, 0), [1, 1, 1, 1])
})

test('failure budget: counts, percentages rounded down, none when unset', () => {
  assert.equal(failureBudget(10), undefined)
  assert.equal(failureBudget(10, 2), 2)
  assert.equal(failureBudget(10, '25%'), 2)
  assert.equal(failureBudget(10, '0%'), 0)
})

test('counts and percentages reject nonsense with a clear message', () => {
  assert.throws(() => parseCountOrPercent('abc'), /expected a count such as 5 or a percentage such as 20%/)
  assert.throws(() => parseCountOrPercent('150%'), /cannot exceed 100%/)
  assert.throws(() => parseCountOrPercent(-1), /whole number/)
  assert.deepEqual(parseCountOrPercent('7'), {count: 7})
})
