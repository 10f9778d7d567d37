/**
 * Secrets on real sshd hosts: `--retry-failed` runs the real command (never the redacted one) and no journal holds a
 * secret; streamed output, script arguments and short secrets are redacted.
 */
import assert from 'node:assert/strict'
import {existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, before, test} from 'node:test'
import {dops, json} from '../helpers.js'
import {startFleet, type Fleet} from './fleet.js'

interface Journal {
  runId: string
  exitCode: number
  results: Array<{host: string; status: string; stdout: string; stderr: string}>
}

let fleet: Fleet
before(async () => {
  fleet = await startFleet({count: 3})
})
after(async () => {
  await fleet?.stop()
})

const hostFile = (i: number, rel: string) => path.join(fleet.hosts[i]!.fsDir, rel)
/** A project whose plan targets host01..host03 and holds `vars` (YAML lines) with secrets. */
function project(vars: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dops-secrets-'))
  const plan = `version: 1\nproject: t\nssh:\n  config: ${fleet.sshConfig}\nenvironments:\n  test:\n    vars:\n${vars}    groups:\n      web:\n        hosts: [host01, host02, host03]\n`
  writeFileSync(path.join(dir, 'dops.yml'), plan)
  return dir
}
const journals = (dir: string) => readdirSync(path.join(dir, '.dops', 'runs')).map((f) => readFileSync(path.join(dir, '.dops', 'runs', f), 'utf8'))

test('--retry-failed runs the real secret-bearing command, not the redacted one; no journal holds the secret', async () => {
  const tag = `r${Date.now()}`
  const dir = project('      app: ${env:DOPS_T_APP}\n')
  const env = {DOPS_T_APP: `s3cret${tag}`}
  for (let i = 0; i < 3; i++) {
    mkdirSync(hostFile(i, `srv/${tag}/s3cret${tag}-tmp`), {recursive: true})
    mkdirSync(hostFile(i, `srv/${tag}/other-tmp`), {recursive: true})
    if (i !== 1) writeFileSync(hostFile(i, `srv/${tag}/ok`), '')
  }
  const cmd = `test -e /srv/${tag}/ok && rm -rf /srv/${tag}/s3cret${tag}-tmp`
  const first = await dops(['run', '--json', '--', cmd], {cwd: dir, env})
  assert.equal(first.code, 3, first.stderr)
  assert.deepEqual(json<Journal>(first).results.map((r) => r.status), ['ok', 'failed', 'ok'])
  assert.doesNotMatch(first.stdout, new RegExp(`s3cret${tag}`))

  // without the secret the command cannot be rebuilt: refused, nothing runs
  writeFileSync(hostFile(1, `srv/${tag}/ok`), '')
  const refused = await dops(['run', '--retry-failed', '--json'], {cwd: dir, env: {DOPS_T_APP: undefined}})
  assert.equal(refused.code, 2, refused.stdout)
  assert.match(refused.stdout, /cannot retry run .*\$\{env:DOPS_T_APP\} is not set/)
  assert.ok(existsSync(hostFile(1, `srv/${tag}/s3cret${tag}-tmp`)), 'nothing ran on the refused retry')

  const retry = await dops(['run', '--retry-failed', '--json'], {cwd: dir, env})
  assert.equal(retry.code, 0, retry.stdout + retry.stderr)
  assert.deepEqual(json<Journal>(retry).results.map((r) => r.host), ['host02'])
  assert.ok(!existsSync(hostFile(1, `srv/${tag}/s3cret${tag}-tmp`)), 'the retry ran the real command')
  assert.ok(existsSync(hostFile(1, `srv/${tag}/other-tmp`)), 'the retry did not run the redacted command (its glob deletes other-tmp)')
  const all = journals(dir)
  assert.equal(all.length, 2)
  for (const j of all) assert.doesNotMatch(j, new RegExp(`s3cret${tag}`))
  assert.match(all.join('\n'), /rm -rf \/srv\/\S+\/\*\*\*-tmp/, 'what is shown stays redacted')
})

test('script arguments with secrets are journaled redacted and retried with their real values', async () => {
  const tag = `a${Date.now()}`
  const dir = project('      token: ${env:DOPS_T_TOKEN}\n')
  const env = {DOPS_T_TOKEN: `tok-${tag}`}
  writeFileSync(path.join(dir, 'put.sh'), `#!/bin/sh\ntest -e /srv/${tag}.ok || exit 1\nprintf '%s' "$1" > /srv/${tag}.out\n`)
  writeFileSync(hostFile(0, `srv/${tag}.ok`), '')
  writeFileSync(hostFile(2, `srv/${tag}.ok`), '')
  const first = await dops(['run', '--json', '--script', 'put.sh', '--', `tok-${tag}`], {cwd: dir, env})
  assert.equal(first.code, 3, first.stderr)
  for (const j of journals(dir)) assert.doesNotMatch(j, new RegExp(`tok-${tag}`))
  writeFileSync(hostFile(1, `srv/${tag}.ok`), '')
  const retry = await dops(['run', '--retry-failed', '--json'], {cwd: dir, env})
  assert.equal(retry.code, 0, retry.stdout)
  assert.equal(readFileSync(hostFile(1, `srv/${tag}.out`), 'utf8'), `tok-${tag}`)
  for (const j of journals(dir)) assert.doesNotMatch(j, new RegExp(`tok-${tag}`))
})

test('--stream redacts a multi-line secret and one split over chunks; short secrets as whole tokens', async () => {
  const tag = `m${Date.now()}`
  const dir = project('      key: ${file:./key.pem}\n      pin: ${env:DOPS_T_PIN}\n')
  const key = `-----BEGIN KEY-----\nline-one-${tag}\nline-two-${tag}\n-----END KEY-----`
  writeFileSync(path.join(dir, 'key.pem'), key + '\n')
  writeFileSync(hostFile(0, `srv/${tag}.key`), key)
  // the key printed in two writes a second apart: two SSH data chunks, the split inside a line
  const cmd = `head -c 30 /srv/${tag}.key; sleep 1; tail -c +31 /srv/${tag}.key; echo; echo pin=42 x42 420 42`
  const r = await dops(['run', '--stream', '-H', 'host01', '--', cmd], {cwd: dir, env: {DOPS_T_PIN: '42'}})
  assert.equal(r.code, 0, r.stderr)
  assert.doesNotMatch(r.stdout + r.stderr, new RegExp(`line-(one|two)-${tag}`))
  assert.match(r.stdout, /host01.*\*\*\*/)
  assert.match(r.stdout, /pin=\*\*\* x42 420 \*\*\*/)
  rmSync(path.join(dir, '.dops'), {recursive: true})
})

test('a host address from ${env:..} is kept out of the journal and resolved again by the retry', async () => {
  const tag = `h${Date.now()}`
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dops-secrets-'))
  writeFileSync(path.join(dir, 'dops.yml'), `version: 1\nproject: t\nssh:\n  config: ${fleet.sshConfig}\nenvironments:\n  test:\n    groups:\n      web:\n        hosts:\n          - name: hidden\n            address: \${env:DOPS_T_ADDR}\n`)
  const env = {DOPS_T_ADDR: fleet.hosts[1]!.address}
  const first = await dops(['run', '--json', '--', `test -e /srv/${tag}.ok && touch /srv/${tag}.done`], {cwd: dir, env})
  assert.equal(first.code, 4, first.stdout + first.stderr)
  assert.equal(json<Journal>(first).results[0]!.status, 'failed')
  assert.ok(!first.stdout.includes(env.DOPS_T_ADDR), 'the address is redacted from the output')
  for (const j of journals(dir)) assert.ok(!j.includes(env.DOPS_T_ADDR), 'the journal does not hold the address')
  writeFileSync(hostFile(1, `srv/${tag}.ok`), '')
  const refused = await dops(['run', '--retry-failed', '--json'], {cwd: dir, env: {DOPS_T_ADDR: undefined}})
  assert.equal(refused.code, 2, refused.stdout)
  const retry = await dops(['run', '--retry-failed', '--json'], {cwd: dir, env})
  assert.equal(retry.code, 0, retry.stdout)
  assert.ok(existsSync(hostFile(1, `srv/${tag}.done`)))
  for (const j of journals(dir)) assert.ok(!j.includes(env.DOPS_T_ADDR))
})
