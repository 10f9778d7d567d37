/** The local connection (ansible_connection=local) keeps the SSH connection's contract, checked against real processes. */
import assert from 'node:assert/strict'
import {existsSync, readFileSync} from 'node:fs'
import {test} from 'node:test'
import {LocalConnection} from '../../src/transport/local-connection.js'

const c = new LocalConnection('ctl')
const alive = (pid: number) => existsSync(`/proc/${pid}/stat`) && readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '')[0] !== 'Z'

test('stdin, exit codes, signals, streamed and bounded output', async () => {
  const r = await c.exec('cat; echo err >&2; exit 3', {stdin: 'héllo\n'})
  assert.deepEqual([r.exitCode, r.stdout, r.stderr, r.deadlineExceeded, r.outputLeftOpen, r.truncated], [3, 'héllo\n', 'err\n', false, false, false])
  const s = await c.exec('kill -TERM $$')
  assert.deepEqual([s.exitCode, s.signal], [null, 'TERM'])
  const chunks: string[] = []
  const big = await c.exec('head -c 5000 /dev/zero | tr "\\0" x', {maxBuffer: 1000, onOutput: (_w, x) => chunks.push(x)})
  assert.equal(big.stdout.length, 1000)
  assert.ok(big.truncated)
  assert.equal(chunks.join('').length, 5000, 'everything is streamed, only the kept part is bounded')
})

test('a deadline and an abort kill the whole process group; output held open is let go', async () => {
  const t0 = Date.now()
  const d = await c.exec('sleep 30 & echo $!; wait', {deadlineMs: 500})
  assert.ok(d.deadlineExceeded)
  assert.ok(Date.now() - t0 < 5000)
  await new Promise((r) => setTimeout(r, 200))
  assert.ok(!alive(Number(d.stdout.trim())), 'the background child died with the group')
  const ac = new AbortController()
  setTimeout(() => ac.abort(), 300)
  const a = await c.exec('sleep 30 & echo $!; wait', {signal: ac.signal})
  await new Promise((r) => setTimeout(r, 200))
  assert.ok(!alive(Number(a.stdout.trim())))
  const open = await c.exec('(sleep 5; echo late) & echo $!; exit 0')
  assert.deepEqual([open.exitCode, open.outputLeftOpen], [0, true])
  process.kill(Number(open.stdout.trim().split('\n')[0]), 'SIGKILL')
})
