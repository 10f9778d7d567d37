/**
 * `dops deploy > out.txt` on a terminal, and on one of width 0 (a pseudo-terminal through `script`, as a user's shell runs it):
 * the progress line stays on the terminal (stderr), drawn whole, and the file gets no progress or escape sequences.
 */
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, before, test} from 'node:test'
import {BIN} from '../helpers.js'
import {startFleet, type Fleet} from '../fleet/fleet.js'

let fleet: Fleet
let project: string
before(async () => {
  fleet = await startFleet({count: 2, prefix: 'dt'})
  project = mkdtempSync(path.join(os.tmpdir(), 'dops-deployterm-'))
  writeFileSync(
    path.join(project, 'dops.yml'),
    `version: 1\nproject: deployterm\nssh: {config: ${fleet.sshConfig}}\napps:\n  app:\n    source: ./rev\n    strategy: {preset: OneAtATime}\nenvironments:\n  prod:\n    groups:\n      web:\n        hosts: [${fleet.hosts.map((h) => h.name).join(', ')}]\n        apps: [app]\n`,
  )
  mkdirSync(path.join(project, 'rev/scripts'), {recursive: true})
  writeFileSync(path.join(project, 'rev/index.html'), 'v1\n')
  writeFileSync(path.join(project, 'rev/scripts/before.sh'), '#!/bin/sh\nsleep 0.5\n', {mode: 0o755})
  writeFileSync(path.join(project, 'rev/appspec.yml'), 'version: 0.0\nos: linux\nfiles:\n  - source: index.html\n    destination: /srv/deployterm\nhooks:\n  BeforeInstall:\n    - location: scripts/before.sh\n      timeout: 30\n')
})
after(async () => fleet?.stop())

for (const cols of [100, 0])
  test(`deploy > out.txt on a terminal of width ${cols}: progress on the terminal in whole lines, nothing of it in the file`, () => {
    const {CI: _ci, ...env} = process.env
    const r = spawnSync('script', ['-qec', `stty cols ${cols}; ${process.execPath} ${BIN} deploy > out.txt`, '/dev/null'], {cwd: project, env, encoding: 'utf8', timeout: 60_000})
    assert.equal(r.status, 0, r.stdout + r.stderr)
    const file = readFileSync(path.join(project, 'out.txt'), 'utf8')
    // eslint-disable-next-line no-control-regex
    assert.doesNotMatch(file, /\x1b|\r|[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏✔]|batch|BeforeInstall/, `no progress in the redirected stdout:\n${JSON.stringify(file)}`)
    assert.match(file, /^deployment d-\S+ succeeded in .*\n {2}dt01: ok\n {2}dt02: ok\n$/, 'the result is on stdout')
    // eslint-disable-next-line no-control-regex
    const screen = r.stdout.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '')
    assert.match(screen, /deploying: batch 1\/2 · dt01 {2}BeforeInstall \d+/, `the live line, whole:\n${screen}`)
    assert.match(screen, /batch 2\/2: dt02 {2}ok \(\d/, 'finished batches are printed above it')
    assert.doesNotMatch(screen, /(^|\n)\s*\S\s*\r?\n\s*\S\s*\r?\n\s*\S\s*\r?\n/, `no column of single characters:\n${screen}`)
  })
