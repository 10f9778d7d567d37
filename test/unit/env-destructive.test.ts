/**
 * env up's confirmation covers load balancers: a resources step that deletes or re-creates one is destructive, other
 * load balancer changes are not.
 */
import assert from 'node:assert/strict'
import {test} from 'node:test'
import {destructiveChanges} from '../../src/env/env-job.js'

test('deleting or re-creating a load balancer asks for confirmation; adding or changing one does not', () => {
  const step = (lines: string[]) => [{kind: 'resources' as const, changes: [{key: 'loadBalancers', lines}]}]
  assert.equal(destructiveChanges([], step(['- load balancer web (with its listeners, target groups and security group)'])), 'delete load balancer web (with its listeners, target groups and security group)')
  assert.equal(destructiveChanges([], step(['~ load balancer web: scheme internal -> internet-facing (made again: AWS cannot change it)'])), 're-create load balancer web: scheme internal -> internet-facing (made again: AWS cannot change it)')
  assert.equal(destructiveChanges([], step(['- load balancer api (sandbox host lb-api)'])), 'delete load balancer api (sandbox host lb-api)')
  assert.equal(destructiveChanges([], step(['+ load balancer web (application, internet-facing)', '~ load balancer web: idle timeout 60s -> 30s', '- load balancer web: listener 8080', '~ target group web/site: health check path / -> /ready'])), '')
  assert.equal(destructiveChanges([]), '')
})
