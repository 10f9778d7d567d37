/** Tables (dops hosts): a long host name wraps inside its column on a narrow terminal instead of breaking the rows. */
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {mkdtempSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {test} from 'node:test'
import {BIN, dops} from '../helpers.js'

const long = `web-${'x'.repeat(70)}.example.internal`
const dir = mkdtempSync(path.join(os.tmpdir(), 'dops-table-'))
const inventory = path.join(dir, 'hosts.ini')
writeFileSync(inventory, `[web]\n${long} ansible_host=192.0.2.10\nweb2 ansible_host=192.0.2.11 ansible_user=deploy\n`)

/** `dops ARGS` on a pseudo-terminal `cols` wide (through `script`, as a user's shell runs it). */
function onTerminal(cols: number, args: string): string[] {
  const env: NodeJS.ProcessEnv = {...process.env, NO_COLOR: '1'}
  delete env.CI
  const r = spawnSync('script', ['-qec', `stty cols ${cols}; ${process.execPath} ${BIN} ${args}`, '/dev/null'], {cwd: dir, env, encoding: 'utf8', timeout: 60_000})
  assert.equal(r.status, 0, r.stdout + r.stderr)
  return r.stdout.replace(/\r/g, '').split('\n').filter(Boolean)
}

test('hosts on a 60-column terminal: every line fits and the columns stay aligned; unwrapped at width 0 and in a file', async () => {
  const lines = onTerminal(60, `hosts -i ${inventory}`)
  for (const l of lines) assert.ok(l.length <= 60, `line of ${l.length} columns: ${l}`)
  const col = lines[0]!.indexOf('GROUP')
  assert.ok(col > 0 && col < 60)
  const rows = lines.slice(1).filter((l) => l.slice(col).trim())
  assert.deepEqual(rows.map((r) => r.slice(col, col + 4)), ['web ', 'web '], `the GROUP column starts at ${col} on every row:\n${lines.join('\n')}`)
  assert.equal(lines.slice(1).map((l) => l.slice(0, col).trim()).join('').replace(/web2$/, ''), long, 'the name is wrapped, not cut')
  // a terminal that reports no width (0), and a file: one row per line, nothing wrapped
  const zero = onTerminal(0, `hosts -i ${inventory}`)
  assert.equal(zero.length, 3, zero.join('\n'))
  const file = await dops(['hosts', '-i', inventory], {cwd: dir})
  const inFile = file.stdout.trimEnd().split('\n')
  assert.equal(inFile.length, 3)
  assert.match(inFile[1]!, new RegExp(`^${long}  web +192\\.0\\.2\\.10$`))
})
