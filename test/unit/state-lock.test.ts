/**
 * The local state lock on the real file system: locks left by dead processes are taken over by exactly one of the
 * processes racing for them.
 */
import assert from 'node:assert/strict'
import {spawn, spawnSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {test} from 'node:test'
import {ROOT} from '../helpers.js'

const N = 8

test(`${N} processes racing for stale state locks: never two holders at once`, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dops-lock-'))
  mkdirSync(path.join(dir, '.dops', 'state'), {recursive: true})
  // the pid of a process that has exited: the lock is stale
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString()
  writeFileSync(path.join(dir, '.dops', 'state', 't-e.json.lock'), dead)
  const log = path.join(dir, 'holders.log')
  const startAt = Date.now() + 4000
  // every process tries until it gets the lock; the holder dies holding it (a crash), so each takeover is a race
  // between the processes still waiting
  const script = `
    import {appendFileSync} from 'node:fs'
    import {LocalStateFile} from ${JSON.stringify(path.join(ROOT, 'src/state/local-file.ts'))}
    await new Promise((r) => setTimeout(r, ${startAt} - Date.now()))
    const state = new LocalStateFile(${JSON.stringify(dir)}, 't', 'e')
    for (let i = 0; i < 20000; i++) {
      try {
        await state.withLock(async () => {
          appendFileSync(${JSON.stringify(log)}, 'in ' + process.pid + '\\n')
          await new Promise((r) => setTimeout(r, 30))
          appendFileSync(${JSON.stringify(log)}, 'out ' + process.pid + '\\n')
          process.exit(0)
        })
      } catch (e) {
        if (e.code !== 'STATE_LOCKED') throw e
      }
    }`
  const procs = Array.from({length: N}, () => spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {cwd: ROOT, stdio: 'inherit'}))
  const codes = await Promise.all(procs.map((p) => new Promise((r) => p.on('exit', r))))
  assert.deepEqual(codes, Array(N).fill(0))
  const lines = readFileSync(log, 'utf8').trim().split('\n')
  let inside = 0
  let most = 0
  for (const l of lines) {
    inside += l.startsWith('in ') ? 1 : -1
    most = Math.max(most, inside)
  }
  assert.equal(lines.filter((l) => l.startsWith('in ')).length, N, 'each process held the lock once')
  assert.equal(most, 1, `holders at once: ${most}\n${lines.join('\n')}`)
})
