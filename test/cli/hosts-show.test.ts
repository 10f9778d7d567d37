/**
 * `dops hosts --json` / `--show HOST`: the connection each host resolves to is compared with `ssh -G` (run at test
 * time on the same ssh_config, with -o Port/User where the inventory sets them, as dops passes them over ssh_config),
 * and its variables with `ansible-inventory --host` (plus the plan's variables underneath). Nothing is connected to.
 */
import assert from 'node:assert/strict'
import {execFile, execFileSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {test} from 'node:test'
import {dops, json, type CliResult} from '../helpers.js'

const dir = mkdtempSync(path.join(os.tmpdir(), 'dops-hosts-show-'))
const cfg = path.join(dir, 'cfg', 'config')
const inv = path.join(dir, 'inv', 'hosts.ini')
const SECRET = 'pa55-w0rd-of-the-db'

function write(rel: string, text: string): void {
  mkdirSync(path.dirname(path.join(dir, rel)), {recursive: true})
  writeFileSync(path.join(dir, rel), text)
}

// Include (absolute glob), Host * last with HostName %h, two IdentityFiles, ProxyJump to an alias, ProxyCommand
write(
  'cfg/config',
  `Include ${dir}/cfg/conf.d/*.conf
Host web1
  User deploy
  IdentityFile ${dir}/keys/first
  IdentityFile ${dir}/keys/second
  ProxyJump ops@bastion:2222
Host bastion
  HostName 127.0.0.9
  User jumper
  IdentityFile ${dir}/keys/jump
Host legacy
  ProxyCommand nc %h %p
Host db1
  HostName 127.0.0.7
  Port 2202
Host *
  HostName %h.internal.test
  IdentityFile ${dir}/keys/default
  UserKnownHostsFile ${dir}/kh/one ${dir}/kh/two
  GlobalKnownHostsFile ${dir}/kh/global
  StrictHostKeyChecking accept-new
  ConnectTimeout 7
`,
)
write('cfg/conf.d/app.conf', 'Host app*\n  Port 2200\n  User appuser\n')
write(
  'inv/hosts.ini',
  `[web]
web1 max_conn=100
web2 ansible_port=2201 ansible_user=admin
[db]
db1 ansible_port=5022
[app]
app1
app2 ansible_host=127.0.0.5
[legacy]
legacy
[all:vars]
http_port=80
ntp_server=ntp.example.com
[web:vars]
role=frontend
`,
)
write('inv/group_vars/db.yml', 'db_settings:\n  pool: 5\n  hosts: [a, b]\n')
const PLAN_VARS = {region: 'eu', http_port: 8080, db_password: SECRET}
write(
  'dops.yml',
  `version: 1
project: t
ssh:
  config: cfg/config
vars:
  region: eu
  http_port: 8080
  db_password: \${env:DOPS_T_DBPASS}
environments:
  test:
    groups:
      fleet:
        inventory: inv/hosts.ini
`,
)
const env = {DOPS_T_DBPASS: SECRET}
// a key given on the command line: ssh -G lists a -i file only when it exists
const key = path.join(dir, 'keys', 'flag')
write('keys/flag', '')
const kh = path.join(dir, 'kh', 'flag')
const flags = ['-u', 'root', '--identity', key, '--known-hosts', kh]

interface Hop {spec: string; address: string; port: number; user: string; identityFiles: string[]}
interface Described {
  name: string
  address: string
  port?: number
  user?: string
  connection: {type: string; address: string; port: number; user: string; identityFiles: string[]; proxyJump?: string; jumps?: Hop[]; proxyCommand?: string}
    & {knownHostsFiles: string[]; globalKnownHostsFiles: string[]; hostKeyChecking: string; connectTimeoutMs: number; sources: Record<string, string>}
  vars: Record<string, unknown>
}

/** `ssh -G` as a map of keyword → values */
function sshG(args: string[]): Record<string, string[]> {
  const out = execFileSync('ssh', ['-G', '-F', cfg, ...args], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']})
  const r: Record<string, string[]> = {}
  for (const line of out.split('\n')) {
    const i = line.indexOf(' ')
    if (i > 0) (r[line.slice(0, i)] ??= []).push(line.slice(i + 1))
  }
  return r
}

/** what ssh would do for a host listed with this address, port and user (given on its command line, as dops gives them precedence over ssh_config) */
function oracleFor(h: {address: string; port?: number; user?: string}, extra: string[] = []): Record<string, string[]> {
  return sshG([...(h.port ? ['-o', `Port=${h.port}`] : []), ...(h.user ? ['-o', `User=${h.user}`] : []), ...extra, '--', h.address])
}

/** The connection fields dops printed, against ssh -G's. dops's host key policy: accept-new for accept-new and no, else strict. */
function compare(d: Described, g: Record<string, string[]>, o: {hops?: boolean} = {}): string[] {
  const c = d.connection
  const diffs: string[] = []
  const eq = (what: string, ours: unknown, theirs: unknown) => {
    if (JSON.stringify(ours) !== JSON.stringify(theirs)) diffs.push(`${d.name} ${what}: dops ${JSON.stringify(ours)}, ssh -G ${JSON.stringify(theirs)}`)
  }
  eq('address', c.address, g.hostname?.[0])
  eq('port', String(c.port), g.port?.[0])
  eq('user', c.user, g.user?.[0])
  eq('identity files', c.identityFiles, g.identityfile ?? [])
  eq('proxyjump', c.proxyJump ?? null, g.proxyjump?.[0] ?? null)
  // ssh -G prints ProxyCommand unexpanded: expand %h and %p with its own values
  eq('proxycommand', c.proxyCommand ?? null, g.proxycommand?.[0]?.replace(/%h/g, g.hostname![0]!).replace(/%p/g, g.port![0]!) ?? null)
  eq('known_hosts', c.knownHostsFiles.join(' '), g.userknownhostsfile?.[0])
  eq('global known_hosts', c.globalKnownHostsFiles.join(' '), g.globalknownhostsfile?.[0])
  eq('host key checking', c.hostKeyChecking, ['accept-new', 'false'].includes(g.stricthostkeychecking?.[0] ?? '') ? 'accept-new' : 'strict')
  eq('connect timeout', c.connectTimeoutMs, Number(g.connecttimeout?.[0]) * 1000)
  // each jump hop: ssh -G on the hop with the hop's own user and port
  for (const hop of o.hops === false ? [] : (c.jumps ?? [])) {
    const m = /^(?:([^@]+)@)?([^:]+)(?::(\d+))?$/.exec(hop.spec)!
    const hg = sshG([...(m[3] ? ['-p', m[3]] : []), ...(m[1] ? ['-l', m[1]] : []), '--', m[2]!])
    eq(`jump ${hop.spec} address`, hop.address, hg.hostname?.[0])
    eq(`jump ${hop.spec} port`, String(hop.port), hg.port?.[0])
    eq(`jump ${hop.spec} user`, hop.user, hg.user?.[0])
    eq(`jump ${hop.spec} identity files`, hop.identityFiles, hg.identityfile ?? [])
  }
  return diffs
}

/** `ansible-inventory --host NAME`, once per host, started together (each takes about a second) */
const ansibleRuns = new Map<string, Promise<Record<string, unknown>>>()
function ansibleHost(name: string): Promise<Record<string, unknown>> {
  let p = ansibleRuns.get(name)
  if (!p) {
    p = new Promise((resolve, reject) => {
      execFile('ansible-inventory', ['-i', inv, '--host', name], {encoding: 'utf8', cwd: dir, env: {...process.env, HOME: dir, ANSIBLE_CONFIG: '', ANSIBLE_NOCOLOR: '1'}, timeout: 120_000}, (e, out, err) => {
        if ((e as NodeJS.ErrnoException | null)?.code === 'ENOENT') return reject(new Error('ansible-inventory is not installed (pip install ansible-core; pyenv rehash)'))
        if (e) return reject(new Error(`ansible-inventory --host ${name} failed: ${err}`))
        resolve(JSON.parse(out) as Record<string, unknown>)
      })
    })
    ansibleRuns.set(name, p)
  }
  return p
}

/**
 * Ansible's variables for the host over the plan's (inventory wins, as documented), the plan's secret redacted.
 * dops shows Ansible's connection variables (ansible_host, ansible_port, …) as the connection, not as variables:
 * an `ansible_*` variable may be missing from dops's list, every other one must be there with Ansible's value.
 */
async function checkVars(d: Described, planVars: Record<string, unknown>): Promise<void> {
  const ansible = await ansibleHost(d.name)
  const expected = {...planVars, ...ansible}
  for (const [k, v] of Object.entries(d.vars)) assert.deepEqual(v, expected[k], `${d.name}: variable ${k}`)
  const missing = Object.keys(expected).filter((k) => !(k in d.vars))
  assert.deepEqual(missing.filter((k) => !k.startsWith('ansible_')), [], `${d.name}: variables dops does not show`)
}

function noSecret(r: CliResult): void {
  assert.ok(!r.stdout.includes(SECRET) && !r.stderr.includes(SECRET), 'the secret is printed')
}

test('dops hosts -i --ssh-config --json: every host connects where ssh -G says, with ansible-inventory --host variables', async () => {
  const r = await dops(['hosts', '-i', inv, '--ssh-config', cfg, '--json'])
  assert.equal(r.code, 0, r.stderr)
  const body = json<{sshConfig: string; hosts: Described[]}>(r)
  assert.equal(body.sshConfig, cfg)
  assert.deepEqual(body.hosts.map((h) => h.name).sort(), ['app1', 'app2', 'db1', 'legacy', 'web1', 'web2'])
  const diffs = body.hosts.flatMap((h) => compare(h, oracleFor(h)))
  assert.deepEqual(diffs, [])
  // the cases that make the comparison mean something
  const by = new Map(body.hosts.map((h) => [h.name, h]))
  assert.equal(by.get('web1')!.connection.jumps?.length, 1, 'web1 goes through its jump host')
  assert.ok(by.get('legacy')!.connection.proxyCommand, 'legacy has a ProxyCommand')
  assert.equal(by.get('web1')!.connection.identityFiles.length, 3)
  // where the values came from: the inventory's port over ssh_config's, ssh_config's HostName, nothing set
  const src = (n: string) => by.get(n)!.connection.sources
  assert.deepEqual([src('db1').port, src('db1').address, src('web2').user, src('web1').user, src('legacy').port], ['host', 'ssh_config', 'host', 'ssh_config', 'default'])
  for (const h of body.hosts) void ansibleHost(h.name)
  for (const h of body.hosts) await checkVars(h, {})
})

test('dops hosts -f plan --json: the plan\'s ssh.config, inventory variables over the plan\'s, the secret as ***', async () => {
  const r = await dops(['hosts', '--json'], {cwd: dir, env})
  assert.equal(r.code, 0, r.stderr)
  noSecret(r)
  const body = json<{sshConfig: string; env: string; hosts: Described[]}>(r)
  assert.equal(body.sshConfig, cfg)
  assert.equal(body.env, 'test')
  const diffs = body.hosts.flatMap((h) => compare(h, oracleFor(h)))
  assert.deepEqual(diffs, [])
  const shown = {...PLAN_VARS, db_password: '***'}
  for (const h of body.hosts) {
    await checkVars(h, shown)
    assert.equal(h.vars.db_password, '***')
  }
  assert.equal(body.hosts.find((h) => h.name === 'web1')!.vars.http_port, 80, 'the inventory\'s value wins over the plan\'s')
})

test('dops hosts --show HOST: readable, the same connection, the secret redacted; -u, --identity, --known-hosts apply as ssh -l, -i, -o UserKnownHostsFile', async () => {
  const j = await dops(['hosts', '--show', 'web1', '--json', ...flags], {cwd: dir, env})
  assert.equal(j.code, 0, j.stderr)
  noSecret(j)
  const one = json<Described & {sshConfig: string}>(j)
  assert.equal(one.name, 'web1')
  assert.deepEqual(compare(one, oracleFor({address: 'web1'}, ['-l', 'root', '-i', key, '-o', `UserKnownHostsFile=${kh}`]), {hops: false}), [])
  assert.deepEqual(one.connection.jumps?.map((hop) => hop.user), ['ops'], '-u is not the jump host\'s user (ssh -l applies to the target only)')

  const r = await dops(['hosts', '--show', 'web1', ...flags], {cwd: dir, env})
  assert.equal(r.code, 0, r.stderr)
  noSecret(r)
  const g = oracleFor({address: 'web1'}, ['-l', 'root'])
  const line = (label: string) => r.stdout.split('\n').find((l) => l.trimStart().startsWith(label)) ?? ''
  assert.match(line('address'), new RegExp(`^\\s+address\\s+${g.hostname![0]!.replace(/\./g, '\\.')} \\(from ssh_config\\)$`))
  assert.match(line('port'), new RegExp(`^\\s+port\\s+${g.port![0]}\\b`))
  assert.match(line('user'), /^\s+user\s+root \(from flag\)$/)
  assert.match(line('db_password'), /^\s+db_password\s+\*\*\*$/)
  assert.match(r.stdout, /1\. ops@bastion:2222 → ops@127\.0\.0\.9:2222/)
  for (const f of [key, ...g.identityfile!]) assert.ok(r.stdout.includes(f), `identity file ${f} is listed`)
  // by address too (db1 is listed under its name; web2's address is its name)
  const byAddress = await dops(['hosts', '-i', inv, '--ssh-config', cfg, '--show', '127.0.0.5', '--json'])
  assert.equal(byAddress.code, 0, byAddress.stderr)
  assert.equal(json<Described>(byAddress).name, 'app2')
})

test('--identity is offered to the target only, as ssh -i is (not to its jump hosts)', async () => {
  const j = await dops(['hosts', '--show', 'web1', '--json', ...flags], {cwd: dir, env})
  assert.deepEqual(compare(json<Described>(j), oracleFor({address: 'web1'}, ['-l', 'root', '-i', key, '-o', `UserKnownHostsFile=${kh}`])), [])
})

test('dops hosts --show an unknown host: exit 2 with the closest name; nothing on stdout', async () => {
  const r = await dops(['hosts', '--show', 'web3'], {cwd: dir, env})
  assert.equal(r.code, 2)
  assert.equal(r.stdout, '')
  assert.match(r.stderr, /no host `web3` in environment test; did you mean `web1`\?/)
  noSecret(r)
  const j = await dops(['hosts', '-i', inv, '--show', 'dbl', '--json'])
  assert.equal(j.code, 2)
  assert.match(json<{error: {message: string}}>(j).error.message, /did you mean `db1`/)
})

test('a host that runs on this machine (connection local) is described as local, not as an SSH target', async () => {
  const {describeHosts} = await import('../../src/inventory/describe.js')
  const {formatHostDescription} = await import('../../src/cli/hosts-format.js')
  const {Chalk} = await import('chalk')
  const host = {name: 'ctl', address: 'ctl', group: 'g', groups: ['g'], labels: {}, vars: {token: SECRET}, connection: 'local' as const}
  const d = describeHosts({hosts: [host], projectDir: dir, secrets: [SECRET], warnings: []}, [host], {sshConfig: cfg})
  assert.equal(d.hosts[0]!.connection.type, 'local')
  assert.equal(d.hosts[0]!.vars.token, '***')
  const text = formatHostDescription(new Chalk({level: 0}), d.hosts[0]!, d.sshConfig)
  assert.match(text, /^\s+type\s+local \(runs on this machine, no SSH\)$/m)
  assert.doesNotMatch(text, /identity files|known_hosts/)
})
