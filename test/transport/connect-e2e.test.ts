/**
 * Where dops connects, end to end on real sshd hosts, with OpenSSH and Ansible as the oracles: each host is asked
 * for its hostname through `dops run`, through the real `ssh -F CFG ALIAS hostname`, and (inventories) through
 * `ansible -m raw -a hostname`; all must name the same fleet host. Covers Include'd configs with lowercase keywords,
 * `HostName %h` expansion, ProxyCommand through a bastion host, ansible_ssh_host, YAML `host:port` keys, ansible_host
 * that is an ssh_config alias, ansible_ssh_common_args ProxyCommand through the bastion, and ansible_connection=local.
 */
import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, before, test} from 'node:test'
import {dops, json} from '../helpers.js'
import {startFleet, type Fleet} from '../fleet/fleet.js'

let fleet: Fleet
let dir: string
let cfg: string
let slot: string
before(async () => {
  fleet = await startFleet({count: 3})
  dir = mkdtempSync(path.join(os.tmpdir(), 'dops-connect-e2e-'))
  slot = fleet.hosts[0]!.address.split('.')[2]!
  const [b, h2, h3] = fleet.hosts
  mkdirSync(path.join(dir, 'conf.d'))
  // lowercase keywords in an Include'd file; %h in HostName; a bastion and a host only reached through it
  writeFileSync(path.join(dir, 'conf.d', 'inc.conf'), `host inc\n  hostname ${h2!.address}\n  port ${h2!.port}\n  identityfile ${fleet.clientKey}\n`)
  cfg = path.join(dir, 'ssh_config')
  writeFileSync(
    cfg,
    `Include ${dir}/conf.d/*.conf\n` +
      `Host 3 4\n  HostName 127.0.${slot}.%h\n` +
      `Host bastion\n  HostName ${b!.address}\n` +
      `Host behind\n  HostName ${h3!.address}\n  ProxyCommand ssh -v -E ${dir}/proxy-behind.log -F ${cfg} -W %h:%p bastion\n` +
      `Host alias2\n  HostName ${h2!.address}\n` +
      `Host *\n  User root\n  IdentityFile ${fleet.clientKey}\n  UserKnownHostsFile ${fleet.knownHosts}\n  StrictHostKeyChecking yes\n`,
  )
})
after(async () => {
  await fleet?.stop()
})

const run = (file: string, args: string[], opts: {env?: NodeJS.ProcessEnv; input?: string} = {}): Promise<{code: number; out: string; err: string}> =>
  new Promise((resolve) => {
    const child = execFile(file, args, {env: {...process.env, ...opts.env}, timeout: 120_000}, (e, out, err) => resolve({code: e ? Number((e as {code?: number}).code ?? 1) : 0, out, err}))
    child.stdin?.end(opts.input ?? '')
  })

/** hostname of each host as dops run reaches it */
async function dopsHostnames(args: string[]): Promise<Record<string, string>> {
  const r = await dops(['run', '--json', ...args, '--', 'hostname'], {cwd: dir})
  const results = json<{results: Array<{host: string; status: string; stdout: string; error?: string}>}>(r).results
  return Object.fromEntries(results.map((x) => [x.host, x.status === 'ok' ? x.stdout.trim() : `${x.status}: ${x.error}`]))
}

/** hostname of each host as Ansible reaches it (its ssh plugin, the same ssh_config, no lingering ControlPersist master) */
async function ansibleHostnames(inv: string, hosts: string[]): Promise<Record<string, string>> {
  const env = {ANSIBLE_CONFIG: '', ANSIBLE_NOCOLOR: '1', ANSIBLE_HOST_KEY_CHECKING: 'True', ANSIBLE_SSH_ARGS: `-F ${cfg} -o ControlMaster=no -o ControlPath=none`, ANSIBLE_LOCALHOST_WARNING: '0', ANSIBLE_PYTHON_INTERPRETER: 'auto_silent'}
  const out: Record<string, string> = {}
  const r = await run('ansible', ['-i', inv, 'all', '-m', 'raw', '-a', 'hostname', '--one-line'], {env})
  for (const line of r.out.split('\n')) {
    const m = /^(\S+) \| (\w+) \| rc=(\d+) \| \(stdout\) (.*?)(\\r)?(\\n|$)/.exec(line)
    if (m) out[m[1]!] = m[4]!.trim()
  }
  for (const h of hosts) out[h] ??= `ansible failed: ${r.out}${r.err}`.slice(0, 600)
  return out
}

const fleetName = (i: number) => fleet.hosts[i]!.name

test('ssh_config: an Include\'d file with lowercase keywords, HostName %h, a ProxyCommand through a bastion: dops connects where ssh does', async () => {
  writeFileSync(path.join(dir, 'dops.yml'), `version: 1\nproject: t\nssh:\n  config: ${cfg}\nenvironments:\n  test:\n    groups:\n      g:\n        hosts: [inc, '3', behind, {name: named, address: alias2}]\n`)
  const ours = await dopsHostnames([])
  const expected = {inc: fleetName(1), '3': fleetName(1), behind: fleetName(2), named: fleetName(1)}
  for (const [alias, want] of Object.entries(expected)) {
    const theirs = await run('ssh', ['-F', cfg, alias === 'named' ? 'alias2' : alias, 'hostname'])
    assert.equal(theirs.out.trim(), want, `ssh reaches ${alias}: ${theirs.err}`)
    assert.equal(ours[alias], want, `dops reaches ${alias} where ssh does`)
  }
  assert.match(readFileSync(path.join(dir, 'proxy-behind.log'), 'utf8'), /Authenticated to/, 'the session went through the bastion')
})

test('inventories: ansible_ssh_host, YAML host:port keys, ansible_host as an ssh_config alias, ssh_common_args ProxyCommand through the bastion', async () => {
  const [, h2, h3] = fleet.hosts
  const log = path.join(dir, 'proxy-args.log')
  const ini = path.join(dir, 'inv.ini')
  writeFileSync(
    ini,
    `[web]\n` +
      `legacy ansible_ssh_host=${h2!.address} ansible_host=127.0.${slot}.250\n` +
      `viaalias ansible_host=alias2\n` +
      `viaargs ansible_host=${h3!.address} ansible_ssh_common_args='-o ProxyCommand="ssh -E ${log} -F ${cfg} -W %h:%p -q -v bastion"'\n` +
      `viajump ansible_host=${h3!.address} ansible_ssh_common_args='-J bastion'\n`,
  )
  const yml = path.join(dir, 'inv.yml')
  writeFileSync(yml, `all:\n  hosts:\n    "${h3!.address}:${h3!.port}":\n    "alias2:${h2!.port}":\n`)
  for (const [inv, expected] of [
    [ini, {legacy: fleetName(1), viaalias: fleetName(1), viaargs: fleetName(2), viajump: fleetName(2)}],
    [yml, {[h3!.address]: fleetName(2), alias2: fleetName(1)}],
  ] as const) {
    const ours = await dopsHostnames(['-i', inv, '--ssh-config', cfg])
    if (inv === ini) assert.ok(existsSync(log) && /Authenticated to/.test(readFileSync(log, 'utf8')), 'the ProxyCommand of ansible_ssh_common_args went through the bastion')
    const theirs = await ansibleHostnames(inv, Object.keys(expected))
    for (const [host, want] of Object.entries(expected)) {
      assert.equal(theirs[host], want, `ansible reaches ${host} on ${want}`)
      assert.equal(ours[host], want, `dops reaches ${host} where ansible does`)
    }
  }
})

test('ansible_connection=local runs on this machine without SSH, with -i and in a plan', async () => {
  const inv = path.join(dir, 'local.ini')
  writeFileSync(inv, `[here]\nctl ansible_connection=local ansible_host=127.0.0.99\n[remote]\n${fleetName(0)} ansible_host=${fleet.hosts[0]!.address}\n`)
  const r = await dops(['run', '--json', '-i', inv, '--ssh-config', cfg, '--', 'hostname; echo $$; echo "in: $(cat)"'], {cwd: dir})
  const by = Object.fromEntries(json<{results: Array<{host: string; status: string; stdout: string}>}>(r).results.map((x) => [x.host, x]))
  const [name, pid] = by.ctl!.stdout.trim().split('\n')
  assert.equal(by.ctl!.status, 'ok', r.stdout + r.stderr)
  assert.equal(name, os.hostname(), 'the local host is this machine')
  assert.ok(Number(pid) > 0 && Number(pid) !== process.pid)
  assert.equal(by[fleetName(0)]!.stdout.trim().split('\n')[0], fleetName(0), 'the other host is still reached over SSH')
  const planDir = path.join(dir, 'plan-local')
  mkdirSync(planDir)
  writeFileSync(path.join(planDir, 'dops.yml'), `version: 1\nproject: t\nssh:\n  config: ${cfg}\nenvironments:\n  test:\n    groups:\n      ops:\n        inventory: ${inv}\n`)
  const p = await dops(['run', '--json', '--', 'hostname'], {cwd: planDir})
  const pr = Object.fromEntries(json<{results: Array<{host: string; stdout: string}>}>(p).results.map((x) => [x.host, x.stdout.trim()]))
  assert.deepEqual(pr, {ctl: os.hostname(), [fleetName(0)]: fleetName(0)}, p.stderr)
  // a timeout kills the local command's whole process group
  const t = await dops(['run', '--json', '-i', inv, '-g', 'here', '--timeout', '1s', '--', `sleep 30 & echo $! > ${dir}/bg.pid; wait`], {cwd: dir})
  assert.equal(json<{results: Array<{status: string}>}>(t).results[0]!.status, 'timedout', t.stdout)
  const bg = Number(readFileSync(path.join(dir, 'bg.pid'), 'utf8'))
  await new Promise((r) => setTimeout(r, 500))
  // gone, or a zombie nobody reaps yet (a container's pid 1 may not)
  const state = existsSync(`/proc/${bg}/stat`) ? readFileSync(`/proc/${bg}/stat`, 'utf8').replace(/^.*\) /, '')[0] : 'gone'
  assert.ok(state === 'gone' || state === 'Z', `the background child is killed with its group (state ${state})`)
})
