/**
 * Variables reach the hosts: `dops run` commands and scripts see the host's merged variables (plan < environment <
 * group < inventory host/host_vars) and DOPS_*; a variable holding a secret reaches the host (its hash matches) yet
 * is `***` in output and journals, and is on no command line, here or on the host, while the command runs
 * (sudo's included). Real sshd hosts, the built CLI.
 */
import assert from 'node:assert/strict'
import {createHash} from 'node:crypto'
import {mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, before, test} from 'node:test'
import {encodeEnvValue} from '../../src/transport/remote-command.js'
import {dops, json} from '../helpers.js'
import {startFleet, type Fleet} from './fleet.js'
import {watchArgv} from './vars-argv.js'

interface Journal {
  runId: string
  results: Array<{host: string; status: string; stdout: string; stderr: string}>
}

const tag = `v${Date.now()}`
const SECRET = `s3cr3t-${tag} it's "quoted" $HOME \\ end`
const sha = (s: string) => createHash('sha256').update(s).digest('hex')
let fleet: Fleet
let dir: string
before(async () => {
  fleet = await startFleet({count: 2, prefix: 'va'})
  dir = mkdtempSync(path.join(os.tmpdir(), 'dops-vars-'))
  const [a, b] = fleet.hosts
  mkdirSync(path.join(dir, 'inv', 'host_vars'), {recursive: true})
  writeFileSync(path.join(dir, 'inv', 'hosts.ini'), `[app]\n${b!.name} ansible_host=${b!.address} ansible_port=${b!.port} ansible_password=pw-not-for-scripts from_inv="inventory value"\n\n[app:vars]\nansible_user=root\nansible_ssh_private_key_file=${fleet.clientKey}\n`)
  // what a plan cannot hold (its schema refuses): a name that is no shell name, a mapping
  writeFileSync(path.join(dir, 'inv', 'host_vars', `${b!.name}.yml`), 'from_host_vars: hv\nregion: overridden by the host\nbad-name: skipped\nconf: {a: [1, x], b: {c: "it\'s"}}\n')
  writeFileSync(
    path.join(dir, 'dops.yml'),
    `version: 1
project: shop
ssh:
  config: ${fleet.sshConfig}
vars:
  plain_var: hello world ${tag}
  db_pass: \${env:DOPS_VARS_SECRET}
  port: 8080
  DOPS_HOST: not dops's
environments:
  test:
    vars: {region: eu}
    groups:
      web:
        hosts: [${a!.name}]
        vars: {tier: front}
      app:
        inventory: inv/hosts.ini
`,
  )
})
after(async () => {
  await fleet?.stop()
  if (dir) rmSync(dir, {recursive: true, force: true})
})

const env = {DOPS_VARS_SECRET: SECRET}
const NAMES = ['plain_var', 'port', 'conf', 'region', 'tier', 'from_inv', 'from_host_vars', 'DOPS_HOST', 'DOPS_HOST_ADDRESS', 'DOPS_GROUP', 'DOPS_ENV', 'DOPS_PROJECT']
// prints each variable, the secret itself (redacted on the way back) and its hash (proof the host got it exactly)
const SHOW = [
  ...NAMES.map((n) => `printf '${n}=%s\\n' "$${n}"`),
  `printf 'db_pass=%s\\n' "$db_pass"`,
  `printf 'hash=%s\\n' "$(printf %s "$db_pass" | sha256sum | cut -d' ' -f1)"`,
  `env | cut -d= -f1 | sort > /srv/envnames-${tag}`,
].join('; ')
const journals = () => readdirSync(path.join(dir, '.dops', 'runs')).map((f) => readFileSync(path.join(dir, '.dops', 'runs', f), 'utf8'))
const hostFile = (i: number, rel: string) => path.join(fleet.hosts[i]!.fsDir, rel)

function expected(i: number): string {
  const h = fleet.hosts[i]!
  const v: Record<string, string> = {
    plain_var: `hello world ${tag}`,
    port: '8080',
    conf: i === 0 ? '' : JSON.stringify({a: [1, 'x'], b: {c: "it's"}}),
    region: i === 0 ? 'eu' : 'overridden by the host',
    tier: i === 0 ? 'front' : '',
    from_inv: i === 0 ? '' : 'inventory value',
    from_host_vars: i === 0 ? '' : 'hv',
    DOPS_HOST: h.name,
    DOPS_HOST_ADDRESS: h.address,
    DOPS_GROUP: i === 0 ? 'web' : 'app',
    DOPS_ENV: 'test',
    DOPS_PROJECT: 'shop',
  }
  return NAMES.map((n) => `${n}=${v[n]}\n`).join('') + `db_pass=***\nhash=${sha(SECRET)}\n`
}

test('dops run: a command sees the host variables and DOPS_*; the secret arrives, shown ***, on no command line here or on the host', async () => {
  writeFileSync(hostFile(0, `srv/ok-${tag}`), '')
  // no value is on a command line: not the secret, and not a plain variable's either (an inventory may hold passwords)
  const watch = watchArgv([SECRET, `s3cr3t-${tag}`, encodeEnvValue(SECRET), `hello world ${tag}`, 'inventory value'], fleet.sshConfig, fleet.hosts.map((h) => h.name), `sleep 3; test -e /srv/ok-${tag}`)
  const first = await dops(['run', '--json', '--', `sleep 3; test -e /srv/ok-${tag} || exit 9; ${SHOW}`], {cwd: dir, env})
  const {seen, proven} = await watch.stop()
  assert.deepEqual(seen, [])
  assert.deepEqual(proven, ['va01', 'va02'], "the hosts' processes were read while the command ran")
  assert.equal(first.code, 3, first.stdout + first.stderr)
  const r = json<Journal>(first).results
  assert.deepEqual(r.map((x) => [x.host, x.status]), [['va01', 'ok'], ['va02', 'failed']])
  assert.equal(r[0]!.stdout, expected(0))
  const names = readFileSync(hostFile(0, `srv/envnames-${tag}`), 'utf8').split('\n')
  assert.ok(names.includes('db_pass') && names.includes('plain_var'))
  assert.ok(!names.some((n) => /bad|ansible/i.test(n)), names.join(' '))

  // the retry rebuilds the secret variable from its source (the journal holds none), on the host that failed
  writeFileSync(hostFile(1, `srv/ok-${tag}`), '')
  const retry = await dops(['run', '--retry-failed', '--json'], {cwd: dir, env})
  assert.equal(retry.code, 0, retry.stdout + retry.stderr)
  assert.equal(json<Journal>(retry).results[0]!.stdout, expected(1))
  const names2 = readFileSync(hostFile(1, `srv/envnames-${tag}`), 'utf8').split('\n')
  assert.ok(!names2.some((n) => /bad|ansible/i.test(n)), names2.join(' '))
  const all = journals()
  assert.equal(all.length, 2)
  for (const j of all) assert.ok(!j.includes(`s3cr3t-${tag}`), 'no journal holds the secret')
  assert.match(all[0]!, /"db_pass": "\*\*\*"/)
  assert.match(all[0]!, /env:DOPS_VARS_SECRET/, 'the journal keeps the secret source')
})

test('dops run --script --run-as: the block is read after sudo, nothing secret on sudo argv; text output redacted', async () => {
  const script = path.join(dir, 'show.sh')
  writeFileSync(script, `#!/bin/sh\nsleep 3\nid -un\nprintf 'db_pass=%s\\n' "$db_pass"\nprintf 'hash=%s\\n' "$(printf %s "$db_pass" | sha256sum | cut -d' ' -f1)"\nprintf 'plain=%s\\n' "$plain_var"\n`)
  const watch = watchArgv([SECRET, `s3cr3t-${tag}`, encodeEnvValue(SECRET), `hello world ${tag}`], fleet.sshConfig, [fleet.hosts[0]!.name], 'sudo -n -H -u nobody')
  const r = await dops(['run', '-H', 'va01', '--run-as', 'nobody', '--script', script], {cwd: dir, env})
  const {seen, proven} = await watch.stop()
  assert.equal(r.code, 0, r.stdout + r.stderr)
  assert.deepEqual(seen, [])
  assert.deepEqual(proven, ['va01'], 'sudo was seen running on the host')
  assert.match(r.stdout, /nobody/)
  assert.match(r.stdout, /db_pass=\*\*\*/)
  assert.ok(r.stdout.includes(`hash=${sha(SECRET)}`), r.stdout)
  assert.ok(r.stdout.includes(`plain=hello world ${tag}`), r.stdout)
  assert.ok(!(r.stdout + r.stderr).includes(`s3cr3t-${tag}`))
  assert.deepEqual(readdirSync(hostFile(0, 'tmp')).filter((f) => f.startsWith('dops-script')), [], 'the uploaded script is removed')
})

test('dops run -i INVENTORY: host variables without a plan; DOPS_PROJECT and DOPS_ENV are empty', async () => {
  const r = await dops(['run', '-i', path.join(dir, 'inv', 'hosts.ini'), '--known-hosts', fleet.knownHosts, '--json', '--', 'printf "%s|%s|%s|%s|%s" "$from_inv" "$from_host_vars" "$DOPS_PROJECT" "$DOPS_ENV" "$DOPS_GROUP"'], {cwd: dir})
  assert.equal(r.code, 0, r.stdout + r.stderr)
  assert.equal(json<Journal>(r).results[0]!.stdout, 'inventory value|hv|||app')
})
