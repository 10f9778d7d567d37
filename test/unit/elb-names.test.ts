/**
 * ELBv2 names: always the readable prefix and the identity's hash, so identities that read alike never share a name;
 * within AWS's 32 characters, no leading/trailing hyphen; tag mismatches listed.
 */
import assert from 'node:assert/strict'
import {test} from 'node:test'
import {lbName, tagMismatch, targetGroupName} from '../../src/providers/aws/elb-names.js'

test('hyphens in project, environment or load balancer names cannot make two identities one name', () => {
  assert.notEqual(lbName('shop', 'prod', 'eu-web'), lbName('shop', 'prod-eu', 'web'))
  assert.notEqual(lbName('shop-prod', 'eu', 'web'), lbName('shop', 'prod-eu', 'web'))
  assert.notEqual(targetGroupName('p', 'e', 'a-b', 'c'), targetGroupName('p', 'e', 'a', 'b-c'))
  assert.notEqual(targetGroupName('p', 'e', 'a', 'b'), lbName('p', 'e', 'a-b'))
  assert.equal(lbName('shop', 'prod', 'web'), lbName('shop', 'prod', 'web'), 'deterministic')
  for (const n of [lbName('shop', 'prod', 'web'), targetGroupName('a-very-long-project-name', 'staging', 'front', 'site.2'), lbName('x', 'y', 'z--')]) {
    assert.ok(n.length <= 32, n)
    assert.match(n, /^dops-[A-Za-z0-9-]*[A-Za-z0-9]-[0-9a-f]{8}$/)
    assert.doesNotMatch(n, /--/)
  }
  assert.ok(lbName('shop', 'prod', 'web').startsWith('dops-shop-prod-web-'), 'readable')
})

test('tag mismatches name the key, the wanted value and the found one', () => {
  assert.deepEqual(tagMismatch({'dops:env': 'prod', 'dops:lb': 'web'}, {'dops:env': 'prod', 'dops:lb': 'web', other: 'x'}), [])
  assert.deepEqual(tagMismatch({'dops:env': 'prod', 'dops:lb': 'web'}, {'dops:env': 'prod-eu'}), ['dops:env=prod (found: prod-eu)', 'dops:lb=web (found: none)'])
})
