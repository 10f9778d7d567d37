/**
 * Secrets (`${env:...}`) in an app's health check, traffic commands and hook environment never appear in `deploy`
 * output, `deploy --plan`, the deployment record or the host's deployment log, which is 0600. The built CLI, real sshd.
 */
import assert from 'node:assert/strict'
import {chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, before, test} from 'node:test'
import {dops} from '../helpers.js'
import {startFleet, type Fleet} from '../fleet/fleet.js'

const SECRET = 'hunter2-s3cret-XYZ'
let fleet: Fleet
let project: string
before(async () => {
  fleet = await startFleet({count: 2, prefix: 'sc'})
  project = mkdtempSync(path.join(os.tmpdir(), 'dops-secret-'))
  writeFileSync(
    path.join(project, 'dops.yml'),
    `version: 1
project: sec
ssh:
  config: ${fleet.sshConfig}
apps:
  web:
    source: ./build
    env: {TOKEN: "\${env:DOPS_TEST_SECRET}"}
    healthCheck: {command: "echo checking \${env:DOPS_TEST_SECRET}; test \${env:DOPS_TEST_SECRET} = never", retries: 0}
    traffic: {group: lb, block: "echo block \${env:DOPS_TEST_SECRET}", allow: "echo allow \${env:DOPS_TEST_SECRET}"}
environments:
  prod:
    groups:
      web:
        hosts: [${fleet.hosts[0]!.name}]
        apps: [web]
      lb:
        hosts: [${fleet.hosts[1]!.name}]
`,
  )
  const b = path.join(project, 'build')
  mkdirSync(path.join(b, 'scripts'), {recursive: true})
  writeFileSync(path.join(b, 'scripts', 'start.sh'), '#!/bin/sh\necho "token=$TOKEN"\n')
  chmodSync(path.join(b, 'scripts', 'start.sh'), 0o755)
  writeFileSync(path.join(b, 'appspec.yml'), 'version: 0.0\nos: linux\nhooks:\n  ApplicationStart:\n    - location: scripts/start.sh\n')
})
after(async () => fleet?.stop())

test('health-check and traffic commands with secrets are redacted in deploy output and records; the host log is 0600 and redacted', async () => {
  const env = {DOPS_TEST_SECRET: SECRET}
  const plan = await dops(['deploy', '--plan', '--json'], {cwd: project, env})
  assert.equal(plan.code, 0, plan.stderr)
  assert.match(plan.stdout, /echo block \*\*\*/)
  const outputs = [plan.stdout + plan.stderr]
  for (const args of [['deploy', '--json'], ['deploy'], ['deploy', '--stream']]) {
    const r = await dops(args, {cwd: project, env})
    assert.notEqual(r.code, 0, 'the health check fails')
    outputs.push(r.stdout + r.stderr)
  }
  assert.match(outputs[1]!, /health check failed: `echo checking \*\*\*; test \*\*\* = never` exited with 1/)
  for (const [i, o] of outputs.entries()) assert.ok(!o.includes(SECRET), `output ${i} shows the secret:\n${o.split('\n').filter((l) => l.includes(SECRET)).join('\n')}`)
  const dir = path.join(project, '.dops', 'deployments')
  const records = readdirSync(dir)
  assert.ok(records.length >= 3)
  for (const f of records) assert.ok(!readFileSync(path.join(dir, f), 'utf8').includes(SECRET), `record ${f}`)
  const logs = path.join(fleet.hosts[0]!.fsDir, 'var/lib/dops/apps/sec.prod.web/logs')
  const names = readdirSync(logs)
  assert.ok(names.length >= 3)
  assert.equal(statSync(logs).mode & 0o777, 0o700)
  for (const f of names) {
    assert.equal(statSync(path.join(logs, f)).mode & 0o777, 0o600, f)
    const text = readFileSync(path.join(logs, f), 'utf8')
    assert.match(text, /token=\*\*\*/)
    assert.ok(!text.includes(SECRET), f)
  }
})
