/**
 * `deploy status` and `env status` print their hosts through the table printer: on a narrow terminal a long host
 * name wraps inside its column, every line fits and the next column starts at the same place on every row.
 */
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {test} from 'node:test'
import {BIN} from '../helpers.js'

const long = `web-${'x'.repeat(70)}.example.internal`
const dir = mkdtempSync(path.join(os.tmpdir(), 'dops-status-table-'))
mkdirSync(path.join(dir, 'rev'))
writeFileSync(path.join(dir, 'rev/index.html'), 'v1\n')
writeFileSync(path.join(dir, 'rev/appspec.yml'), 'version: 0.0\nos: linux\nfiles:\n  - source: index.html\n    destination: /srv/x\n')
// port 1 refuses at once: both hosts are unreachable, which both commands report in the table
writeFileSync(
  path.join(dir, 'dops.yml'),
  `version: 1\nproject: st\napps:\n  app:\n    source: ./rev\nenvironments:\n  prod:\n    groups:\n      web:\n        hosts:\n          - {name: ${long}, address: 127.0.0.1, port: 1}\n          - {name: web2, address: 127.0.0.1, port: 1}\n        apps: [app]\n`,
)

/** `dops ARGS` on a pseudo-terminal `cols` wide (through `script`, as a user's shell runs it). */
function onTerminal(cols: number, args: string): string[] {
  const env: NodeJS.ProcessEnv = {...process.env, NO_COLOR: '1'}
  delete env.CI
  const r = spawnSync('script', ['-qec', `stty cols ${cols}; ${process.execPath} ${BIN} ${args}`, '/dev/null'], {cwd: dir, env, encoding: 'utf8', timeout: 60_000})
  return r.stdout.replace(/\r/g, '').split('\n').filter(Boolean)
}

for (const [args, next] of [
  ['deploy status', 'REVISION'],
  ['env status', 'ADDRESS'],
] as const) {
  test(`${args} on a 60-column terminal: a long host name wraps in its column, the ${next} column stays aligned`, () => {
    const lines = onTerminal(60, args)
    for (const l of lines) assert.ok(l.length <= 60, `line of ${l.length} columns: ${l}\n${lines.join('\n')}`)
    const head = lines.findIndex((l) => l.includes(next))
    assert.ok(head >= 0, lines.join('\n'))
    const col = lines[head]!.indexOf(next)
    const rows = lines.slice(head + 1)
    // the column after it may wrap too: look at this column only
    const end = lines[head]!.slice(col + next.length).search(/\S/) + col + next.length
    const filled = rows.filter((l) => l.slice(col, end).trim())
    assert.equal(filled.length, 2, `one row per host starts the ${next} column:\n${lines.join('\n')}`)
    for (const r of filled) assert.match(r.slice(col), /^(unreachable|127\.0\.0\.1)/, `the ${next} column starts at ${col}:\n${lines.join('\n')}`)
    const indent = lines[head]!.indexOf('HOST')
    assert.equal(rows.map((l) => l.slice(indent, col).trim()).join('').replace(/web2$/, ''), long, 'the name is wrapped, not cut')
  })
}
