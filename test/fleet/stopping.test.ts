/**
 * Stopping and transport faults on real sshd hosts: the second Ctrl-C kills the remote command, multi-byte
 * characters split over SSH chunks survive, a lost connection is reported as one.
 */
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {mkdtempSync, readdirSync, readFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, before, test} from 'node:test'
import {setTimeout as sleep} from 'node:timers/promises'
import {BIN, dops, json} from '../helpers.js'
import {startFleet, type Fleet} from './fleet.js'

interface Journal {
  results: Array<{host: string; status: string; stdout: string; error?: string; errorKind?: string}>
}

let fleet: Fleet
before(async () => {
  fleet = await startFleet({count: 3})
})
after(async () => {
  await fleet?.stop()
})

const project = () => mkdtempSync(path.join(os.tmpdir(), 'dops-stop-'))
const base = () => ['run', '-i', fleet.inventoryIni, '--known-hosts', fleet.knownHosts]

/** Pids of `sleep DURATION` processes, seen from this machine (the hosts' PID namespaces are nested in ours). */
function sleeping(duration: string): number[] {
  const found: number[] = []
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue
    try {
      const argv = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0')
      if (argv[0] === 'sleep' && argv[1] === duration) found.push(Number(d))
    } catch {}
  }
  return found
}

async function until(what: string, fn: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await sleep(50)
  }
}

for (const sig of ['SIGINT', 'SIGTERM'] as const)
  test(`a second ${sig} kills the remote command and exits within 2 s`, async () => {
    // a unique duration names the remote process; `sh -c` keeps a parent shell on the host as well
    const marker = `29.${Date.now() % 100000}${sig === 'SIGINT' ? 1 : 2}`
    const child = spawn(process.execPath, [BIN, ...base(), '-H', 'host01', '--', `sleep ${marker}; echo after`], {cwd: project(), env: {...process.env, CI: 'true'}})
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => (stderr += d))
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)))
    await until('the remote sleep', () => sleeping(marker).length > 0)
    child.kill(sig)
    await sleep(300)
    const t0 = Date.now()
    child.kill(sig)
    const code = await Promise.race([exited, sleep(5000).then(() => 'hung' as const)])
    const took = Date.now() - t0
    if (code === 'hung') child.kill('SIGKILL')
    assert.notEqual(code, 'hung', `dops did not exit after the second ${sig}: ${stderr}`)
    assert.ok(took < 2000, `exited after ${took} ms`)
    assert.deepEqual(sleeping(marker), [], 'no remote sleep is left on the host')
    assert.notEqual(code, 0)
  })

test('a multi-byte character split over two SSH chunks is decoded whole', async () => {
  // é is C3 A9: the two bytes leave in two writes, 300 ms apart
  const r = await dops([...base(), '--json', '-H', 'host02', '--', "printf '\\303'; sleep 0.3; printf '\\251\\n'"], {cwd: project()})
  assert.equal(r.code, 0, r.stderr)
  assert.equal(json<Journal>(r).results[0]!.stdout, 'é\n')
  const s = await dops([...base(), '--stream', '-H', 'host02', '--', "printf 'caf\\303'; sleep 0.3; printf '\\251\\n'"], {cwd: project()})
  assert.match(s.stdout, /café/)
  assert.doesNotMatch(s.stdout, /\uFFFD/)
})

test('a connection lost mid-command is reported as such, naming the host', async () => {
  const marker = `28.${Date.now() % 100000}`
  const child = dops([...base(), '--json', '-H', 'host03', '--', `sleep ${marker}`], {cwd: project()})
  await until('the remote sleep', () => sleeping(marker).length > 0)
  await fleet.stopHost('host03')
  const r = await child
  await fleet.startHost('host03')
  const res = json<Journal>(r).results[0]!
  assert.equal(res.status, 'failed')
  assert.equal(res.errorKind, 'connection-lost')
  assert.match(res.error!, /connection to host03 .*lost/)
  assert.doesNotMatch(res.error!, /signal/)
})
