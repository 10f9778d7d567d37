/**
 * Failures show their cause where they happen: a failed hook's last lines (redacted) under the host's failure line
 * and in the JSON, `deploy show` (hosts × lifecycle events), plain progress lines in CI, integer durations, and a
 * corrupt deployment record that only skips itself (history and rollback keep working). Real sshd hosts.
 */
import assert from 'node:assert/strict'
import {chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {spawnSync} from 'node:child_process'
import {after, before, test} from 'node:test'
import type {DeployReport} from '../../src/deploy/deploy-job.js'
import type {ShowReport} from '../../src/deploy/show-job.js'
import {startFleet, type Fleet} from '../fleet/fleet.js'
import {BIN, dops, json} from '../helpers.js'

let fleet: Fleet
let project: string
const SECRET = 's3cr3t-token-value'
const env = {DOPS_TAIL_TOKEN: SECRET}

before(async () => {
  fleet = await startFleet({count: 2, prefix: 'sh'})
  project = mkdtempSync(path.join(os.tmpdir(), 'dops-show-'))
  writeFileSync(
    path.join(project, 'dops.yml'),
    `version: 1\nproject: tails\nssh: {config: ${fleet.sshConfig}}\napps:\n  app:\n    source: ./rev\n    strategy: {preset: OneAtATime}\n    env: {TOKEN: "\${env:DOPS_TAIL_TOKEN}"}\nenvironments:\n  prod:\n    groups:\n      web:\n        hosts: [${fleet.hosts.map((h) => h.name).join(', ')}]\n        apps: [app]\n`,
  )
})
after(async () => fleet?.stop())

/** A revision whose ApplicationStart prints 12 lines, the secret, and fails when /srv/fail exists on the host. */
function makeRev(version: string): void {
  const rev = path.join(project, 'rev')
  mkdirSync(path.join(rev, 'scripts'), {recursive: true})
  writeFileSync(path.join(rev, 'index.html'), `${version}\n`)
  writeFileSync(path.join(rev, 'scripts/before.sh'), '#!/bin/sh\necho preparing\n[ ! -f /srv/slow ] || sleep 1\n')
  writeFileSync(path.join(rev, 'scripts/start.sh'), `#!/bin/sh\necho ${version}\nif [ -f /srv/fail ]; then\n  for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo "line $i"; done\n  echo "token is $TOKEN"\n  sleep 0.3\n  echo "cannot bind port 8080" >&2\n  exit 3\nfi\n`)
  for (const f of ['before.sh', 'start.sh']) chmodSync(path.join(rev, 'scripts', f), 0o755)
  writeFileSync(path.join(rev, 'appspec.yml'), 'version: 0.0\nos: linux\nfiles:\n  - source: index.html\n    destination: /srv/tails\nhooks:\n  BeforeInstall:\n    - location: scripts/before.sh\n      timeout: 30\n  ApplicationStart:\n    - location: scripts/start.sh\n      timeout: 30\n')
}
const run = (args: string[]) => dops(args, {cwd: project, env})
const failOn = (i: number, on: boolean) => {
  const f = path.join(fleet.hosts[i]!.fsDir, 'srv/fail')
  if (on) writeFileSync(f, '')
  else rmSync(f, {force: true})
}
const EXPECTED_TAIL = ['line 4', 'line 5', 'line 6', 'line 7', 'line 8', 'line 9', 'line 10', 'line 11', 'line 12', 'token is ***', 'cannot bind port 8080']

test('a failed hook shows its last 10 lines, redacted, under the host line and in the record; CI gets start/done lines', async () => {
  makeRev('v1')
  failOn(0, true)
  const r = await run(['deploy'])
  failOn(0, false)
  assert.notEqual(r.code, 0, r.stderr)
  assert.ok(!r.stderr.includes(SECRET) && !r.stdout.includes(SECRET), 'the secret is never printed')
  // the outcome is the result: on stdout
  const lines = r.stdout.split('\n')
  const at = lines.findIndex((l) => /^ {2}sh01: FAILED — ApplicationStart failed: script scripts\/start\.sh failed with exit code 3/.test(l))
  assert.ok(at >= 0, r.stdout + r.stderr)
  assert.deepEqual(lines.slice(at + 1, at + 11), EXPECTED_TAIL.slice(-10).map((l) => `    │ ${l}`), r.stdout)
  assert.ok(!lines[at + 11]!.startsWith('    │'), 'ten lines, no more')
  // live progress in CI: plain lines per host and lifecycle event, on stderr
  assert.match(r.stderr, /^start sh01 BeforeInstall$/m)
  assert.match(r.stderr, /^done sh01 BeforeInstall \(\d+(ms|\.\d+s)\)$/m)
  assert.match(r.stderr, /^failed sh01 ApplicationStart \(\d+(ms|\.\d+s)\)$/m)
  assert.doesNotMatch(r.stdout, /start sh01/, 'progress stays off stdout')
  const id = /^deployment (d-\S+)/m.exec(r.stdout)![1]!
  const rec = JSON.parse(readFileSync(path.join(project, '.dops/deployments', `${id}.json`), 'utf8')) as DeployReport
  const sh01 = rec.results.find((x) => x.host === 'sh01')!
  assert.deepEqual(sh01.outputTail, EXPECTED_TAIL.slice(-10))
  assert.ok(Number.isInteger(rec.durationMs) && rec.results.every((x) => Number.isInteger(x.durationMs)), 'integer ms')
})

test('deploy --json carries the tail; deploy show lists hosts × events with status, time and output', async () => {
  failOn(1, true)
  const r = await run(['deploy', '--json'])
  failOn(1, false)
  assert.equal(r.stderr.match(/^(start|done) /m), null, 'no progress with --json')
  const rep = json<DeployReport>(r)
  const sh02 = rep.results.find((x) => x.host === 'sh02')!
  assert.equal(sh02.status, 'failed')
  assert.ok(sh02.outputTail!.includes('token is ***'), JSON.stringify(sh02))
  assert.ok(Number.isInteger(rep.durationMs))

  const show = json<ShowReport>(await run(['deploy', 'show', 'latest', '--json']))
  assert.equal(show.deploymentId, rep.deploymentId)
  const h2 = show.hosts.find((h) => h.host === 'sh02')!
  const start = h2.events.find((e) => e.event === 'ApplicationStart')!
  assert.equal(start.status, 'failed')
  assert.equal(start.rc, 3)
  assert.ok(Number.isInteger(start.ms), 'each event has its time in integer ms')
  assert.ok(start.tail.includes('cannot bind port 8080'))
  assert.deepEqual(h2.events.find((e) => e.event === 'BeforeInstall')!.tail, ['preparing'])

  const text = await run(['deploy', 'show', rep.deploymentId.slice(0, 18), '--host', 'sh02'])
  assert.equal(text.code, 0, text.stderr)
  assert.doesNotMatch(text.stdout, /^ {2}sh01 /m, '--host shows only that host')
  assert.match(text.stdout, /^ {4}BeforeInstall +ok \d+/m)
  assert.match(text.stdout, /^ {4}ApplicationStart +FAILED \d+\S* exit 3/m)
  assert.match(text.stdout, /^ {6}│ cannot bind port 8080$/m)
  assert.ok(!text.stdout.includes(SECRET))

  const missing = await run(['deploy', 'show', 'd-nope', '--json'])
  assert.equal(missing.code, 2)
  assert.match(json<{error: {message: string}}>(missing).error.message, /no deployment d-nope/)
})

test('a truncated deployment record is a located warning: history lists the others, rollback skips it', async () => {
  makeRev('v2')
  assert.equal((await run(['deploy', '--json'])).code, 0)
  makeRev('v3')
  assert.equal((await run(['deploy', '--json'])).code, 0)
  const dir = path.join(project, '.dops/deployments')
  const names = readdirSync(dir).sort()
  const newest = readFileSync(path.join(dir, names[names.length - 1]!), 'utf8')
  const bad = path.join(dir, 'd-20990101-000000-broken.json')
  writeFileSync(bad, newest.slice(0, Math.floor(newest.length / 2)))

  const hist = await run(['deploy', 'history', '--json'])
  assert.equal(hist.code, 0, hist.stdout + hist.stderr)
  const h = json<{deployments: Array<{durationMs: number}>; problems: Array<{file: string; line: number; column: number; message: string}>}>(hist)
  assert.equal(h.deployments.length, names.length)
  assert.ok(h.deployments.every((d) => Number.isInteger(d.durationMs)))
  assert.equal(h.problems.length, 1)
  assert.equal(h.problems[0]!.file, bad)
  assert.ok(h.problems[0]!.line > 1)
  const histText = await run(['deploy', 'history'])
  assert.equal(histText.code, 0)
  assert.match(histText.stdout, /^ID +KIND +ENV\/APP +REVISION +STATUS +HOSTS +TIME +STARTED$/m)
  assert.equal(histText.stdout.trim().split('\n').length, names.length + 1, histText.stdout)
  assert.match(histText.stderr, new RegExp(`${bad.replace(/[.]/g, '\\.')}:\\d+:\\d+: warning: the record is truncated`))

  const rb = await run(['rollback', '--json'])
  assert.equal(rb.code, 0, rb.stdout.slice(-2000) + rb.stderr)
  assert.match(rb.stderr, /broken\.json:\d+:\d+: warning/)
  for (const host of fleet.hosts) assert.equal(readFileSync(path.join(host.fsDir, 'srv/tails/index.html'), 'utf8'), 'v2\n')
})

test('on a terminal, deploy shows each host\'s current lifecycle event and its time (listr2 on stderr)', () => {
  makeRev('v4')
  for (const h of fleet.hosts) writeFileSync(path.join(h.fsDir, 'srv/slow'), '')
  const {CI: _ci, ...rest} = process.env
  // `script` gives the command a pseudo-terminal
  const r = spawnSync('script', ['-qec', `stty cols 120 rows 40; ${process.execPath} ${BIN} deploy`, '/dev/null'], {cwd: project, env: {...rest, ...env}, encoding: 'utf8', timeout: 60_000})
  for (const h of fleet.hosts) rmSync(path.join(h.fsDir, 'srv/slow'), {force: true})
  // eslint-disable-next-line no-control-regex
  const screen = r.stdout.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '')
  assert.equal(r.status, 0, screen)
  assert.match(screen, /deploying: batch 1\/2/)
  assert.match(screen, /sh01 {2}BeforeInstall \d+(ms|\.\d+s)/, 'the event in progress with its time')
  assert.match(screen, /batch 2\/2: sh02 {2}ok \(\d/, 'finished batches stay')
  assert.doesNotMatch(screen, /^start sh01/m, 'no plain lines on a terminal')
})
