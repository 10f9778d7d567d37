/**
 * `dops run` on a terminal, as a user's shell runs it (a pseudo-terminal through `script`): results on stdout and
 * progress on stderr, each host's block printed when the host finishes, a terminal of width 0.
 */
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, before, test} from 'node:test'
import {BIN} from '../helpers.js'
import {startFleet, type Fleet} from './fleet.js'

let fleet: Fleet
before(async () => {
  fleet = await startFleet({count: 2})
})
after(async () => {
  await fleet?.stop()
})

// host02 waits (at most 30 s) for /tmp/go, which the test creates once it has seen host01's block
const WAIT = "if [ $(hostname) = host02 ]; then i=0; while [ ! -e /tmp/go ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done; fi; echo out-of-$(hostname)"
const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`

/** Start `dops run ... <redirect>` on a pseudo-terminal; `seen()` is the terminal's transcript so far. */
function onTerminal(shell: string, cwd: string) {
  const env: NodeJS.ProcessEnv = {...process.env, FORCE_COLOR: '1'}
  delete env.CI
  const child = spawn('script', ['-qec', shell, '/dev/null'], {cwd, env, stdio: ['ignore', 'pipe', 'pipe']})
  let transcript = ''
  child.stdout.on('data', (d: Buffer) => (transcript += d.toString()))
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve))
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
  return {seen: () => transcript, done: exited.finally(() => clearTimeout(timer))}
}

async function waitFor(what: string, ok: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms
  while (!ok()) {
    if (Date.now() > end) throw new Error(`waited ${ms / 1000}s for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

function dopsRun(extra: string): string {
  return `${process.execPath} ${BIN} run -i ${fleet.inventoryIni} --known-hosts ${fleet.knownHosts} ${extra} -- ${q(WAIT)}`
}

const goFile = () => path.join(fleet.hosts[1]!.fsDir, 'tmp/go')
const go = () => writeFileSync(goFile(), '')
const rmGo = () => rmSync(goFile(), {force: true})

test('dops run > out.txt on a terminal: only results in the file, each host block written when the host ends', async () => {
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'dops-term-'))
  const out = path.join(cwd, 'out.txt')
  const read = () => {
    try {
      return readFileSync(out, 'utf8')
    } catch {
      return ''
    }
  }
  rmGo()
  const t = onTerminal(`${dopsRun('')} > out.txt`, cwd)
  await waitFor("host01's block in out.txt while host02 still runs", () => /── .*host01.*\nout-of-host01\n/.test(read()))
  assert.doesNotMatch(read(), /host02/)
  go()
  assert.equal(await t.done, 0, t.seen())
  const file = read()
  assert.doesNotMatch(file, /running|done|[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏✔]/, `no progress in the results file:\n${file}`)
  assert.match(file, /^── \x1b\[1mhost01\x1b\[22m .*\nout-of-host01\n── \x1b\[1mhost02\x1b\[22m .*\nout-of-host02\n$/, 'FORCE_COLOR colours the results, nothing else')
  assert.match(t.seen(), /running: \d\/2 done/, 'the progress line is on the terminal (stderr)')
  assert.match(t.seen(), /2 hosts: .*2 ok/)
})

test('on a terminal: blocks appear above the progress line as hosts end; at width 0 the line is not one character per line', async () => {
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'dops-term-'))
  rmGo()
  const t = onTerminal(`stty cols 0; ${dopsRun('')}`, cwd)
  await waitFor("host01's block on the terminal while host02 still runs", () => /out-of-host01/.test(t.seen()))
  assert.doesNotMatch(t.seen(), /out-of-host02/)
  go()
  assert.equal(await t.done, 0, t.seen())
  assert.match(t.seen(), /running: [012]\/2 done/, 'the progress line is drawn whole')
  assert.doesNotMatch(t.seen(), /(^|\n)\s*\S\s*\r?\n\s*\S\s*\r?\n\s*\S\s*\r?\n/, `no column of single characters:\n${t.seen()}`)
  // --stream: each line as it is printed, before the run ends
  rmGo()
  const s = onTerminal(dopsRun('--stream'), cwd)
  await waitFor('host01 | out-of-host01 while host02 still runs', () => /host01.* \| out-of-host01/.test(s.seen()))
  go()
  assert.equal(await s.done, 0, s.seen())
  assert.match(s.seen(), /host02.* \| out-of-host02/)
})

test('on a terminal, an error found once the run has started keeps its message and exit code', async () => {
  const t = onTerminal(`${process.execPath} ${BIN} run -i ${fleet.inventoryIni} -H nosuch -- true`, mkdtempSync(path.join(os.tmpdir(), 'dops-term-')))
  assert.equal(await t.done, 7, t.seen())
  assert.match(t.seen(), /no host matches the selection/)
  assert.doesNotMatch(t.seen(), /bug in dops/)
})
