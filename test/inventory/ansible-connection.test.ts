/**
 * Connection variables as Ansible uses them: `{{ var }}` templates resolved as `ansible -m debug` resolves them (the
 * oracle), or refused with a located error naming host, variable and template; ansible_connection; ssh arguments
 * dops cannot honour refused, never ignored.
 */
import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {mkdtempSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {test} from 'node:test'
import {dops, json} from '../helpers.js'

const dir = mkdtempSync(path.join(os.tmpdir(), 'dops-conn-vars-'))
const env = {...process.env, HOME: dir, ANSIBLE_CONFIG: '', ANSIBLE_NOCOLOR: '1', ANSIBLE_LOCALHOST_WARNING: '0', ANSIBLE_DEPRECATION_WARNINGS: '0'}

function ansibleDebug(inv: string, variable: string): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    execFile('ansible', ['-i', inv, 'all', '-m', 'debug', '-a', `var=${variable}`, '--one-line'], {cwd: dir, env, timeout: 120_000}, (e, out, err) => {
      const r: Record<string, string> = {}
      for (const line of out.split('\n')) {
        const m = /^(\S+) \| SUCCESS => (\{.*\})$/.exec(line)
        if (m) r[m[1]!] = String((JSON.parse(m[2]!) as Record<string, unknown>)[variable])
      }
      if (!Object.keys(r).length) reject(new Error(`ansible failed: ${e?.message} ${out} ${err}`))
      resolve(r)
    })
  })
}

test('{{ var }} templates in ansible_host/port/user resolve as Ansible resolves them', async () => {
  const inv = path.join(dir, 'templates.ini')
  writeFileSync(
    inv,
    `[web]\n` +
      `t1 ansible_host="{{ real }}" real=10.1.1.1\n` +
      `t2 ansible_host={{a}}.example.com a=web\n` +
      `t3 ansible_host="{{ x }}" x="{{ y }}" y=10.3.3.3 ansible_port="{{ p }}"\n` +
      `t4 ansible_host="{{ inventory_hostname }}.lan" ansible_user="{{ deploy_user }}"\n` +
      `[web:vars]\np=2222\ndeploy_user=ops\n`,
  )
  const r = await dops(['hosts', '-i', inv, '--json'])
  assert.equal(r.code, 0, r.stderr)
  const ours = Object.fromEntries(json<{hosts: Array<{name: string; address: string; port?: number; user?: string}>}>(r).hosts.map((h) => [h.name, h]))
  const [host, port, user] = await Promise.all(['ansible_host', 'ansible_port', 'ansible_user'].map((v) => ansibleDebug(inv, v)))
  let checks = 0
  for (const name of ['t1', 't2', 't3', 't4']) {
    assert.equal(ours[name]!.address, host![name], `${name} ansible_host`)
    checks++
    if (!/NOT DEFINED|is undefined/.test(port![name]!)) {
      assert.equal(String(ours[name]!.port), port![name], `${name} ansible_port`)
      checks++
    }
    if (!/NOT DEFINED|is undefined/.test(user![name]!)) {
      assert.equal(ours[name]!.user, user![name], `${name} ansible_user`)
      checks++
    }
  }
  assert.ok(checks >= 6)
})

test('templates dops cannot resolve, unsupported connections and ssh arguments are refused, located, naming host and variable', async () => {
  const cases: Array<[string, RegExp]> = [
    ['h1 ansible_host="{{ nowhere }}"', /h1\.\w+: ansible_host=\{\{ nowhere \}\}: `\{\{ nowhere \}\}`: the variable nowhere is not defined/],
    ['h2 ansible_host="{{ name | lower }}" name=X', /h2\.\w+: ansible_host=.*not a plain variable reference/],
    ['h3 ansible_host="{{ a }}" a="{{ b }}" b="{{ a }}"', /h3\.\w+: ansible_host=.*more than 10 nested templates/],
    ['h4 ansible_connection=docker', /h4\.\w+: ansible_connection=docker: .*`docker` is not supported/],
    ['h5 ansible_ssh_common_args="-o HostKeyAlias=other"', /h5\.\w+: ansible_ssh_common_args=.*HostKeyAlias is not supported/],
    ['h6 ansible_ssh_extra_args="-L 8080:db:5432"', /h6\.\w+: ansible_ssh_extra_args=.*-L 8080:db:5432 is not supported/],
    ['h7 ansible_ssh_common_args="-4"', /h7\.\w+: .*-4 is not supported \(it changes which address is used\)/],
    [`h8 ansible_ssh_common_args='-o ProxyCommand="ssh -W %h:%p'`, /h8\.\w+: .*No closing quotation/],
    ['h9 ansible_ssh_common_args="-o Port=99999"', /h9\.\w+: .*port `99999` is not a port number/],
    ['h10 ansible_ssh_common_args="-F /nonexistent/ssh_config"', /h10\.\w+: .*-F \/nonexistent\/ssh_config: no such file/],
    ['h11 ansible_ssh_common_args="bastion"', /h11\.\w+: .*`bastion` is not an option/],
  ]
  for (const [line, expected] of cases) {
    const inv = path.join(dir, 'bad.ini')
    writeFileSync(inv, `[g]\nok1 ansible_host=10.0.0.1\n${line}\n`)
    const r = await dops(['hosts', '-i', inv])
    assert.equal(r.code, 2, `${line}: ${r.stdout}${r.stderr}`)
    assert.match(r.stderr, expected, line)
    assert.match(r.stderr, new RegExp(`bad\\.ini:3:\\d+`), `${line}: located (${r.stderr})`)
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace')
  }
  // neutral options are accepted; ansible_connection=ssh/smart/paramiko are SSH
  const inv = path.join(dir, 'ok.ini')
  writeFileSync(inv, `[g]\na ansible_connection=smart ansible_ssh_common_args="-o ControlMaster=auto -o ControlPersist=60s -C -q"\nb ansible_connection=paramiko\nc ansible_connection=local\n`)
  const r = await dops(['hosts', '-i', inv, '--json'])
  assert.equal(r.code, 0, r.stderr)
  assert.deepEqual(json<{hosts: Array<{name: string; connection: {type: string}}>}>(r).hosts.map((h) => [h.name, h.connection.type]), [['a', 'ssh'], ['b', 'ssh'], ['c', 'local']])
})
