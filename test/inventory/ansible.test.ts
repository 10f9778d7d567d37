import assert from 'node:assert/strict'
import path from 'node:path'
import {test} from 'node:test'
import {formatProblem, InvalidInputError} from '../../src/errors.js'
import {inventoryHosts, readAnsibleInventory} from '../../src/inventory/ansible.js'
import {dops, json, ROOT} from '../helpers.js'

const fx = (n: string) => path.join(ROOT, 'test/fixtures/inventories', n)

for (const form of ['hosts.ini', 'hosts.yml']) {
  test(`${form}: groups, children, ranges, connection vars and var precedence`, async () => {
    const inv = await readAnsibleInventory(fx(form))
    const all = inventoryHosts(inv)
    assert.deepEqual(
      all.map((h) => h.name).sort(),
      ['bar.example.com', 'foo.example.com', 'host1', 'host2', 'host3', 'mail.example.com', 'one.example.com', 'two.example.com', 'www01.example.com', 'www02.example.com', 'www03.example.com'],
    )
    const web = inventoryHosts(inv, 'webservers')
    assert.deepEqual(web.map((h) => h.name), ['foo.example.com', 'bar.example.com', 'www01.example.com', 'www02.example.com', 'www03.example.com'])
    const bar = web[1]!
    assert.equal(bar.port, 2222)
    assert.equal(bar.user, 'deploy user')
    assert.equal(bar.address, 'bar.example.com')
    assert.equal(web[0]!.vars.http_port, 80)
    const db = inventoryHosts(inv, 'dbservers')
    assert.equal(db[0]!.address, '192.0.2.50')
    assert.equal(db[1]!.port, 5555)
    assert.equal(db[1]!.identityFile, fx('keys/db.pem'))
    assert.equal(db[1]!.vars.ntp_server, 'ntp.db.example.com', 'group_vars/dbservers.yml overrides all:vars')
    assert.equal(db[1]!.vars.db_engine, 'postgres')
    assert.equal(web[0]!.vars.ntp_server, 'ntp.example.com')
    assert.equal('ansible_host' in db[1]!.vars, false, 'connection vars are not host vars')
    const se = inventoryHosts(inv, 'southeast')
    assert.deepEqual(se.map((h) => h.name).sort(), ['host1', 'host2', 'host3'])
    const byName = Object.fromEntries(se.map((h) => [h.name, h]))
    // child group (atlanta) overrides parent (southeast); raleigh-only host3 gets the parent's value
    assert.equal(String(byName.host1!.vars.halon_system_timeout), '10')
    assert.equal(String(byName.host3!.vars.halon_system_timeout), '30')
    assert.equal(byName.host2!.address, '10.1.0.2')
    assert.ok(byName.host2!.groups.includes('atlanta') && byName.host2!.groups.includes('raleigh'))
    assert.throws(() => inventoryHosts(inv, 'nosuch'), /has no group `nosuch`/)
  })
}

test('a malformed INI inventory names the file, line and problem', async () => {
  try {
    await readAnsibleInventory(fx('broken.ini'))
    assert.fail('accepted')
  } catch (e) {
    assert.ok(e instanceof InvalidInputError)
    const text = e.problems.map(formatProblem).join('\n')
    assert.match(text, /broken\.ini:3:1: expected `key=value` after the host name, got `port`/)
    assert.match(text, /broken\.ini:5:1: unknown section suffix `:nonsense`/)
  }
})

test('a malformed YAML inventory names the field and its line', async () => {
  try {
    await readAnsibleInventory(fx('broken.yml'))
    assert.fail('accepted')
  } catch (e) {
    assert.ok(e instanceof InvalidInputError)
    assert.match(e.problems.map(formatProblem).join('\n'), /broken\.yml:4:7: all\.children\.web\.hostz: unknown key `hostz` in group `web`; expected hosts, vars or children/)
  }
})

test('dops hosts -i lists an inventory group with --json', async () => {
  const r = await dops(['hosts', '-i', fx('hosts.ini'), '-g', 'dbservers', '--json'])
  assert.equal(r.code, 0, r.stderr)
  const body = json<{hosts: Array<{name: string; address: string; port?: number}>}>(r)
  assert.deepEqual(body.hosts.map((h) => [h.name, h.address, h.port]), [['one.example.com', '192.0.2.50', undefined], ['two.example.com', '192.0.2.51', 5555]])
  const typo = await dops(['hosts', '-i', fx('hosts.ini'), '-g', 'dbserver'])
  assert.equal(typo.code, 2, 'a group that exists nowhere is invalid input')
  assert.match(typo.stderr, /no group `dbserver` \(groups: .*dbservers/)
  const parent = await dops(['hosts', '-i', fx('hosts.yml'), '-g', 'southeast', '--json'])
  assert.deepEqual(json<{hosts: Array<{name: string}>}>(parent).hosts.map((h) => h.name).sort(), ['host1', 'host2', 'host3'], 'a parent group selects its children')
  const bad = await dops(['hosts', '-i', fx('broken.yml')])
  assert.equal(bad.code, 2)
  assert.match(bad.stderr, /broken\.yml:4:7/)
})

test('ansible_ssh_common_args ProxyJump (-J or -o ProxyJump=) becomes the host\'s jump host', async () => {
  const {parseAnsibleIni} = await import('../../src/inventory/ansible-ini.js')
  const {resolveTarget} = await import('../../src/transport/ssh-target.js')
  const {SshConfigFile} = await import('../../src/transport/ssh-config.js')
  const jump = (args: string) => {
    const inv = parseAnsibleIni('x.ini', `[app]\napp1 ansible_ssh_common_args='${args}'\n`)
    return resolveTarget(inventoryHosts(inv)[0]!, SshConfigFile.empty(), {projectDir: '/nonexistent'}).proxyJump
  }
  assert.equal(jump('-o ProxyJump=ops@bastion:2222'), 'ops@bastion:2222')
  assert.equal(jump('-J bastion1,bastion2 -o StrictHostKeyChecking=yes'), 'bastion1,bastion2')
  assert.equal(jump('-o ProxyJump="gw"'), 'gw')
  assert.equal(jump('-o ServerAliveInterval=5'), undefined)
})

test('dops hosts -i: -g all is every host and -g ungrouped the hosts of no group, as in Ansible; -i DIR/ reads every file', async () => {
  const corpus = path.join(ROOT, 'test/fixtures/inventories/corpus')
  const names = async (args: string[]) => {
    const r = await dops(['hosts', ...args, '--json'])
    assert.equal(r.code, 0, r.stderr)
    return json<{hosts: Array<{name: string}>}>(r).hosts.map((h) => h.name).sort()
  }
  const mixed = path.join(corpus, 'ungrouped-mixed/hosts.ini')
  assert.deepEqual(await names(['-i', mixed, '-g', 'all']), ['both1', 'lonely1', 'lonely2', 'w1'])
  assert.deepEqual(await names(['-i', mixed, '-g', 'ungrouped']), ['lonely1', 'lonely2'], 'a host also in [web] is not ungrouped')
  assert.deepEqual(await names(['-i', path.join(corpus, 'dir-of-files') + '/']), ['c1', 'd1', 'n1', 'w1', 'w2'])
})
