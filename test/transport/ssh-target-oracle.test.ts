/**
 * Where dops connects for an inventory host, against OpenSSH as Ansible's ssh plugin runs it:
 * `ssh -G -F CFG [-o Port=..] [-o IdentityFile=..] [-o User=..] COMMON_ARGS EXTRA_ARGS -- ADDRESS`, where ADDRESS is
 * ansible_host (else the inventory name). Also the shlex split of the ssh arguments against Python's shlex.split.
 */
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {mkdtempSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {test} from 'node:test'
import {parseAnsibleIni} from '../../src/inventory/ansible-ini.js'
import {inventoryHosts} from '../../src/inventory/ansible.js'
import {shlexSplit} from '../../src/transport/ssh-args.js'
import {SshConfigFile} from '../../src/transport/ssh-config.js'
import {resolveTarget} from '../../src/transport/ssh-target.js'

const dir = mkdtempSync(path.join(os.tmpdir(), 'dops-target-oracle-'))
const env = {...process.env, SHELL: '/bin/sh'}
const k = (n: string) => {
  const f = path.join(dir, n)
  writeFileSync(f, 'not a key\n')
  return f
}
const [K1, K2, K3, K4] = [k('k1'), k('k2'), k('k3'), k('k4')]
const KH = path.join(dir, 'kh')
const cfg = path.join(dir, 'config')
writeFileSync(
  cfg,
  `Host web1\n  HostName 10.9.9.9\n  User wrong\n` +
    `Host gw\n  HostName 10.1.1.1\n  Port 2201\n  User gwuser\n  IdentityFile ${K1}\n` +
    `Host app\n  HostName 10.2.2.2\n  ProxyJump gw\n` +
    `Host pc\n  HostName 10.3.3.3\n  ProxyCommand nc -X connect %h %p\n` +
    `Host 10.50.*\n  User fifty\n  Port 2250\n` +
    `Host *.corp\n  HostName %h.example.com\n` +
    `Match user deploy\n  IdentityFile ${K4}\n` +
    `Host *\n  IdentityFile ${K2}\n  StrictHostKeyChecking yes\n`,
)
const other = path.join(dir, 'other-config')
writeFileSync(other, `Host *\n  HostName 10.7.7.7\n  User fromF\n`)

// inventory lines (INI, one host each): each is resolved by dops and by ssh -G
const CASES = [
  'web1 ansible_host=10.50.0.1',
  'web2 ansible_host=gw',
  'web3 ansible_host=gw ansible_port=2222 ansible_user=ops ansible_ssh_private_key_file=' + K3,
  'app',
  'pc',
  'web4 ansible_host=pc ansible_user=deploy',
  'db.corp',
  'web5 ansible_host=10.50.0.5 ansible_ssh_common_args=\'-o ProxyCommand="ssh -W %h:%p -q gw"\'',
  'web6 ansible_host=10.50.0.6 ansible_ssh_common_args="-o ProxyJump=ops@gw:2200"',
  'web7 ansible_host=10.50.0.7 ansible_ssh_common_args="-J gw" ansible_ssh_extra_args="-o Port=2000 -l extra -i ' + K3 + '"',
  'web8 ansible_host=gw ansible_port=2222 ansible_ssh_extra_args="-o Port=2000 -p 2001 -o User=argsuser"',
  `web9 ansible_host=10.50.0.9 ansible_ssh_common_args="-o IdentityFile=${K3} -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile=${KH}"`,
  `web10 ansible_host=app ansible_ssh_common_args="-o ProxyCommand='nc %h %p' -o ControlMaster=no"`,
  `web11 ansible_host=anything ansible_ssh_common_args="-F ${other}"`,
  `web12 ansible_host=10.50.0.12 ansible_ssh_extra_args="-oUser=glued -p2012 -qC"`,
  'web13 ansible_host=10.50.0.13 ansible_user=deploy',
]

function sshG(args: string[]): Record<string, string[]> {
  const out = execFileSync('ssh', ['-G', ...args], {encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe']})
  const r: Record<string, string[]> = {}
  for (const line of out.split('\n')) {
    const i = line.indexOf(' ')
    if (i > 0) (r[line.slice(0, i)] ??= []).push(line.slice(i + 1))
  }
  return r
}

test('inventory hosts resolve as `ssh -G` resolves the command Ansible runs (the address looked up, inventory settings and ssh args over ssh_config)', () => {
  const config = SshConfigFile.read(cfg, true, env)
  const inv = parseAnsibleIni(path.join(dir, 'inv.ini'), `[all]\n${CASES.join('\n')}\n`)
  const hosts = inventoryHosts(inv)
  assert.equal(hosts.length, CASES.length)
  const mismatches: string[] = []
  let checks = 0
  for (const h of hosts) {
    const t = resolveTarget(h, config, {projectDir: dir, env})
    // Ansible's ssh plugin: -o Port, -o IdentityFile, -o User, then ansible_ssh_common_args, ansible_ssh_extra_args
    const argv = ['-F', cfg, ...(h.port ? ['-o', `Port=${h.port}`] : []), ...(h.identityFile ? ['-o', `IdentityFile=${h.identityFile}`] : []), ...(h.user ? ['-o', `User=${h.user}`] : []), ...(h.sshArgs ?? []), '--', h.address]
    const g = sshG(argv)
    const pc = g.proxycommand?.[0]
    const expand = (s: string) => s.replace(/%(.)/g, (m, c: string) => ({h: g.hostname![0]!, p: g.port![0]!, r: g.user![0]!, n: h.address, '%': '%'})[c] ?? m)
    const expected = {
      hostname: g.hostname![0],
      port: Number(g.port![0]),
      user: g.user![0],
      identityfile: g.identityfile!.filter((f) => !f.startsWith('~')),
      proxyjump: g.proxyjump?.[0],
      proxycommand: pc ? expand(pc) : undefined,
      stricthostkeychecking: g.stricthostkeychecking![0] === 'accept-new' || g.stricthostkeychecking![0] === 'false' ? 'accept-new' : 'strict',
      userknownhostsfile: g.userknownhostsfile![0]!.includes(KH) ? [KH] : 'default',
    }
    const actual = {
      hostname: t.address,
      port: t.port,
      user: t.user,
      identityfile: t.identityFiles,
      proxyjump: t.proxyJump,
      proxycommand: t.proxyCommand,
      stricthostkeychecking: t.hostKeyChecking,
      userknownhostsfile: t.knownHostsFiles.includes(KH) ? t.knownHostsFiles : 'default',
    }
    for (const key of Object.keys(expected) as Array<keyof typeof expected>) {
      checks++
      try {
        assert.deepEqual(actual[key], expected[key])
      } catch {
        mismatches.push(`${h.name} ${key}: dops ${JSON.stringify(actual[key])}, ssh -G ${JSON.stringify(expected[key])} (ssh ${argv.join(' ')})`)
      }
    }
  }
  console.log(`ssh -G target oracle: ${hosts.length} hosts, ${checks} checks, ${mismatches.length} mismatches`)
  assert.deepEqual(mismatches, [])
})

test('ssh arguments are split as Python\'s shlex.split splits them (Ansible\'s _split_ssh_args)', () => {
  const samples = [
    `-o ProxyCommand="ssh -W %h:%p -q bastion"`,
    `-o 'ProxyCommand=ssh -W %h:%p user@bastion' -o StrictHostKeyChecking=no`,
    `-o ProxyCommand="ssh -W \\"%h:%p\\" bastion"`,
    `  -J  a,b   -o   Port=1  `,
    `-o User=a\\ b -i ~/k -o "IdentityFile=/x y/z"`,
    `-o ProxyCommand='sh -c "exec nc %h %p"'`,
    `a"b"'c'd \\$x "\\$y \\a" ''`,
    `#not-a-comment -o X=1`,
  ]
  const py = JSON.parse(execFileSync('python3', ['-c', 'import json,shlex,sys; print(json.dumps([[x.strip() for x in shlex.split(s) if x.strip()] for s in json.loads(sys.stdin.read())]))'], {input: JSON.stringify(samples), encoding: 'utf8'})) as string[][]
  samples.forEach((s, i) => assert.deepEqual(shlexSplit(s), py[i], s))
  assert.throws(() => shlexSplit(`-o ProxyCommand="ssh -W %h:%p`), /No closing quotation/)
})
