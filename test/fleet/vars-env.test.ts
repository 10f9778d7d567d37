/**
 * `env up` on the local provider: bootstrap scripts and hostsJoined handlers see the host's variables and DOPS_*,
 * the secret one exactly (its hash matches) and never in env up's output or report.
 */
import assert from 'node:assert/strict'
import {createHash} from 'node:crypto'
import {mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, test} from 'node:test'
import {cleanUpLocalEnv, removeProject} from '../env/local-cleanup.js'
import {dops, json} from '../helpers.js'

const tag = `e${Date.now()}`
const SECRET = `boot-s3cr3t-${tag} 'q' "dq"`
const sha = (s: string) => createHash('sha256').update(s).digest('hex')
const project = mkdtempSync(path.join(os.tmpdir(), 'dops-vars-env-'))
const env = {DOPS_VE_SECRET: SECRET}
const PROJECT = `varsenv${process.pid}`
const SHOW = [
  ...['plain_var', 'tier', 'DOPS_HOST', 'DOPS_GROUP', 'DOPS_ENV', 'DOPS_PROJECT', 'DOPS_EVENT'].map((n) => `printf '${n}=%s\\n' "$${n}"`),
  `printf 'hash=%s\\n' "$(printf %s "$db_pass" | sha256sum | cut -d' ' -f1)"`,
  'echo "secret=$db_pass"',
].join('; ')
mkdirSync(path.join(project, 'scripts'))
writeFileSync(path.join(project, 'scripts', 'boot.sh'), `#!/bin/sh\nmkdir -p /etc/dops\n{ ${SHOW}; } > /etc/dops/boot.txt\n${SHOW}\n`)
writeFileSync(path.join(project, 'scripts', 'joined.sh'), `#!/bin/sh\nmkdir -p /etc/dops\n{ ${SHOW}; } > /etc/dops/joined.txt\n`)
writeFileSync(
  path.join(project, 'dops.yml'),
  `version: 1
project: ${PROJECT}
providers:
  sandbox: {type: local}
vars:
  plain_var: plain
  db_pass: \${env:DOPS_VE_SECRET}
environments:
  local:
    groups:
      web:
        provider: sandbox
        instance: {count: 1}
        vars: {tier: web-tier}
        bootstrap:
          - {name: boot, script: scripts/boot.sh}
        on:
          hostsJoined:
            - {group: lb, script: scripts/joined.sh}
      lb:
        provider: sandbox
        instance: {count: 1}
        vars: {tier: lb-tier}
`,
)
after(async () => {
  const problems = await cleanUpLocalEnv({project: PROJECT, projectDir: project, env: 'local', dopsEnv: env})
  removeProject(project)
  if (problems.length) console.error(`cleanup: ${problems.join('; ')}`)
})

test('bootstrap scripts and event handlers see the host variables and the secret; env up shows it ***', async () => {
  const up = await dops(['env', 'up', '--json'], {cwd: project, env})
  assert.equal(up.code, 0, up.stdout.slice(-3000) + up.stderr)
  assert.ok(!(up.stdout + up.stderr).includes(`s3cr3t-${tag}`), 'env up output')
  const read = await dops(['run', '--json', '--', 'cat /etc/dops/*.txt'], {cwd: project, env})
  assert.equal(read.code, 0, read.stdout + read.stderr)
  const out = Object.fromEntries(json<{results: Array<{host: string; stdout: string}>}>(read).results.map((r) => [r.host, r.stdout]))
  const block = (host: string, group: string, tier: string, event: string) =>
    `plain_var=plain\ntier=${tier}\nDOPS_HOST=${host}\nDOPS_GROUP=${group}\nDOPS_ENV=local\nDOPS_PROJECT=${PROJECT}\nDOPS_EVENT=${event}\nhash=${sha(SECRET)}\nsecret=***\n`
  const [web, lb] = [Object.keys(out).find((h) => h.startsWith('web'))!, Object.keys(out).find((h) => h.startsWith('lb'))!]
  assert.equal(out[web], block(web, 'web', 'web-tier', ''), 'the bootstrap script on web')
  assert.equal(out[lb], block(lb, 'lb', 'lb-tier', 'hostsJoined'), 'the hostsJoined handler on lb')
})
