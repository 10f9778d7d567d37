/**
 * Appspec hooks, health-check commands and traffic commands see the host's variables and DOPS_*: a plain one as it is, a secret one
 * arriving exactly (its hash matches) but `***` in deploy output, records and the host's log, and on no command line
 * here or on the host while the hook runs. A variable named like the driver's own (R, f) changes nothing. Real sshd.
 */
import assert from 'node:assert/strict'
import {createHash} from 'node:crypto'
import {chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, before, test} from 'node:test'
import {encodeEnvValue} from '../../src/transport/remote-command.js'
import {startFleet, type Fleet} from '../fleet/fleet.js'
import {watchArgv} from '../fleet/vars-argv.js'
import {dops} from '../helpers.js'

const tag = `d${Date.now()}`
const SECRET = `hook-s3cr3t-${tag} "it's" $PATH`
const sha = (s: string) => createHash('sha256').update(s).digest('hex')
const env = {DOPS_DV_SECRET: SECRET}
let fleet: Fleet
let project: string
before(async () => {
  fleet = await startFleet({count: 2, prefix: 'dv'})
  project = mkdtempSync(path.join(os.tmpdir(), 'dops-deploy-vars-'))
  writeFileSync(
    path.join(project, 'dops.yml'),
    `version: 1
project: varshop
ssh:
  config: ${fleet.sshConfig}
vars:
  plain_var: plain value
  db_pass: \${env:DOPS_DV_SECRET}
  R: /not/the/deploy/root
  f: not-the-hook
  shared: from the plan
apps:
  web:
    source: ./build
    env: {shared: from the app}
    healthCheck: {command: 'test "$plain_var|$tier|$DOPS_PROJECT" = "plain value|front|varshop" && test "$(printf %s "$db_pass" | sha256sum | cut -c1-64)" = "${sha(SECRET)}"', retries: 0}
    traffic: {group: lb, block: 'printf "%s|%s|%s|%s\\n" "$DOPS_HOST" "$DOPS_PROJECT" "$lb_var" "$(printf %s "$db_pass" | sha256sum | cut -c1-64)" > /srv/blocked-${tag}', allow: 'true'}
environments:
  prod:
    groups:
      web:
        hosts: [${fleet.hosts[0]!.name}]
        apps: [web]
        vars: {tier: front}
      lb:
        hosts: [${fleet.hosts[1]!.name}]
        vars: {lb_var: on the lb}
`,
  )
  const b = path.join(project, 'build')
  mkdirSync(path.join(b, 'scripts'), {recursive: true})
  const hook = [
    '#!/bin/sh',
    'sleep 3',
    ...['plain_var', 'tier', 'shared', 'R', 'f', 'DOPS_HOST', 'DOPS_GROUP', 'DOPS_ENV', 'DOPS_PROJECT', 'APPLICATION_NAME'].map((n) => `printf '${n}=%s\\n' "$${n}"`),
    `printf 'db_pass=%s\\n' "$db_pass"`,
    `printf 'hash=%s\\n' "$(printf %s "$db_pass" | sha256sum | cut -d' ' -f1)"`,
    `printf '%s\\n' "$db_pass" > /srv/got-${tag}`,
  ].join('\n')
  writeFileSync(path.join(b, 'scripts', 'start.sh'), hook + '\n')
  chmodSync(path.join(b, 'scripts', 'start.sh'), 0o755)
  writeFileSync(path.join(b, 'appspec.yml'), 'version: 0.0\nos: linux\nhooks:\n  ApplicationStart:\n    - location: scripts/start.sh\n')
})
after(async () => {
  await fleet?.stop()
  if (project) rmSync(project, {recursive: true, force: true})
})

test('a hook sees the host variables (the app env over them) and DOPS_*; the secret arrives, redacted everywhere, on no argv', async () => {
  const watch = watchArgv([SECRET, `hook-s3cr3t-${tag}`, encodeEnvValue(SECRET)], fleet.sshConfig, [fleet.hosts[0]!.name], 'start.sh')
  const r = await dops(['deploy', '--json'], {cwd: project, env})
  const {seen, proven} = await watch.stop()
  assert.equal(r.code, 0, r.stdout + r.stderr)
  assert.deepEqual(seen, [])
  assert.deepEqual(proven, [fleet.hosts[0]!.name], 'the hook was seen running on the host')
  assert.ok(!(r.stdout + r.stderr).includes(`s3cr3t-${tag}`), 'deploy output')
  // the host really got the value, byte for byte
  assert.equal(readFileSync(path.join(fleet.hosts[0]!.fsDir, `srv/got-${tag}`), 'utf8'), SECRET + '\n')
  const logs = path.join(fleet.hosts[0]!.fsDir, 'var/lib/dops/apps/varshop.prod.web/logs')
  const text = readdirSync(logs).map((f) => readFileSync(path.join(logs, f), 'utf8')).join('\n')
  const want = {plain_var: 'plain value', tier: 'front', shared: 'from the app', R: '/not/the/deploy/root', f: 'not-the-hook', DOPS_HOST: fleet.hosts[0]!.name, DOPS_GROUP: 'web', DOPS_ENV: 'prod', DOPS_PROJECT: 'varshop', APPLICATION_NAME: 'web', db_pass: '***', hash: sha(SECRET)}
  for (const [k, v] of Object.entries(want)) assert.ok(text.includes(`${k}=${v}\n`), `${k}=${v} in the hook log:\n${text}`)
  assert.ok(!text.includes(`s3cr3t-${tag}`), 'host log')
  const records = path.join(project, '.dops', 'deployments')
  for (const f of readdirSync(records)) assert.ok(!readFileSync(path.join(records, f), 'utf8').includes(`s3cr3t-${tag}`), `record ${f}`)
})

test('a traffic command sees the traffic host variables and the secret; DOPS_HOST names the host it blocks', async () => {
  // a deployment over a host that already runs the app blocks its traffic first
  writeFileSync(path.join(project, 'build', 'v2.txt'), 'v2\n')
  rmSync(path.join(fleet.hosts[1]!.fsDir, `srv/blocked-${tag}`), {force: true})
  const r = await dops(['deploy', '--json'], {cwd: project, env})
  assert.equal(r.code, 0, r.stdout + r.stderr)
  assert.equal(readFileSync(path.join(fleet.hosts[1]!.fsDir, `srv/blocked-${tag}`), 'utf8'), `${fleet.hosts[0]!.name}|varshop|on the lb|${sha(SECRET)}\n`)
})
