/**
 * Where a fleet's files may live: each host mounts its own /tmp, /root, /opt, ... over the machine's, so a fleet
 * directory under one of those would be hidden from its own sshd. Refused at once with the reason, before any host
 * is started or any address range claimed.
 */
import assert from 'node:assert/strict'
import {existsSync} from 'node:fs'
import {test} from 'node:test'
import {startFleet} from './fleet.js'

test('a fleet directory under /tmp or /root is refused with the reason; nothing is started', async () => {
  for (const dir of ['/tmp/dops-fleet-under-tmp', '/root/dops-fleet-under-root/x']) {
    await assert.rejects(startFleet({count: 1, dir}), (e: Error) => {
      assert.match(e.message, new RegExp(`sandbox host files cannot be under /(tmp|root) \\(${dir}\\): each sandbox host mounts its own /(tmp|root)`))
      return true
    })
    assert.equal(existsSync(dir), false, 'nothing was written there')
  }
})
