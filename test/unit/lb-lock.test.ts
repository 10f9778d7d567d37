/**
 * The local load balancer's lock: a dead owner's lock file is taken over only under the takeover guard, read again
 * there (two processes that both saw the dead pid must not both remove it).
 */
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {test} from 'node:test'
import {dropStaleLock as dropStale, withLbLock} from '../../src/providers/local/lb-lock.js'

const deadPid = () => spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString()

test('a stale lock is dropped once; while another process holds the takeover guard it is left alone', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dops-lblock-'))
  try {
    const file = path.join(dir, 'lb.lock')
    writeFileSync(file, deadPid())
    mkdirSync(`${file}.takeover`)
    assert.equal(await dropStale(file), false)
    assert.ok(existsSync(file), 'a takeover in progress elsewhere: the lock file is not removed')
    rmSync(`${file}.takeover`, {recursive: true})
    // the file is a live claim by now (this process): not stale
    writeFileSync(file, String(process.pid === 1 ? 2 : 1))
    assert.equal(await dropStale(file), false)
    writeFileSync(file, deadPid())
    assert.equal(await dropStale(file), true)
    assert.equal(existsSync(file), false)
    assert.equal(existsSync(`${file}.takeover`), false)
    writeFileSync(file, deadPid())
    const got = await withLbLock(dir, 5000, async () => readFileSync(file, 'utf8'))
    assert.equal(got, String(process.pid))
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
})
