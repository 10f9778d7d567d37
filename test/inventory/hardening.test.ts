/** Inventories that used to blow up (range bombs, children loops), be silently wrong (group_vars with YAML errors,
 * port 0 or 99999) or take minutes (5,000 hosts in 20 groups): each a located error, or linear. Issue 9. */
import assert from 'node:assert/strict'
import {mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {test} from 'node:test'
import {formatProblem, InvalidInputError} from '../../src/errors.js'
import {inventoryHosts, readAnsibleInventory} from '../../src/inventory/ansible.js'
import {dops} from '../helpers.js'

function write(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dops-inv-hard-'))
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), {recursive: true})
    writeFileSync(path.join(dir, name), text)
  }
  return dir
}

async function problems(file: string): Promise<string> {
  const err = await readAnsibleInventory(file).then(() => assert.fail('accepted'), (e: unknown) => e)
  assert.ok(err instanceof InvalidInputError, String((err as Error).stack))
  return err.problems.map(formatProblem).join('\n')
}

test('a range bomb is refused before expansion, with its location (INI and YAML, dops hosts exits 2)', async () => {
  const dir = write({'bomb.ini': '[web]\nok1\nh[0:9999]-[0:9999]-[0:9999]\n', 'bomb.yml': 'all:\n  hosts:\n    ok1:\n    h[0:9999]-[0:9999]-[0:9999]:\n'})
  assert.match(await problems(path.join(dir, 'bomb.ini')), /bomb\.ini:3:1: host pattern h\[0:9999\]-\[0:9999\]-\[0:9999\] expands to 1,000,000,000,000 hosts; the most is 100,000/)
  assert.match(await problems(path.join(dir, 'bomb.yml')), /bomb\.yml:4:5: all\.hosts\.h\[0:9999\]-\[0:9999\]-\[0:9999\]: host pattern .* expands to 1,000,000,000,000 hosts/)
  const r = await dops(['hosts', '-i', path.join(dir, 'bomb.ini')])
  assert.equal(r.code, 2, r.stderr)
  assert.match(r.stderr, /bomb\.ini:3:1: host pattern/)
})

test('the whole inventory is capped too: the line that passes 100,000 hosts is named and parsing stops', async () => {
  const dir = write({'many.ini': '[a]\na[1:60000]\n[b]\nb[1:60000]\n[c]\nc[1:60000]\n'})
  const text = await problems(path.join(dir, 'many.ini'))
  assert.match(text, /many\.ini:4:1: the inventory has more than 100,000 hosts/)
  assert.doesNotMatch(text, /many\.ini:6/)
})

test('children loops are located errors, not a stack overflow (INI and YAML)', async () => {
  const dir = write({
    'loop.ini': '[a:children]\nb\n[b:children]\nc\n[c:children]\na\n[a]\nh1\n',
    'self.ini': '[a]\nh1\n[a:children]\na\n',
    'loop.yml': 'all:\n  children:\n    a:\n      children:\n        b:\n          hosts: {h1:}\n          children:\n            a: {}\n',
  })
  assert.match(await problems(path.join(dir, 'loop.ini')), /loop\.ini:6:1: group children form a loop: a -> b -> c -> a/)
  assert.match(await problems(path.join(dir, 'self.ini')), /self\.ini:4:1: group children form a loop: a -> a/)
  assert.match(await problems(path.join(dir, 'loop.yml')), /loop\.yml:8:13: .*children\.a: group children form a loop: a -> b -> a/)
})

test('a recursive YAML alias in an inventory is a located error', async () => {
  const dir = write({'rec.yml': 'all:\n  children:\n    a: &x\n      hosts: {h1:}\n      children:\n        b: *x\n'})
  assert.match(await problems(path.join(dir, 'rec.yml')), /rec\.yml:6:12: YAML alias \*x is inside the value it refers to/)
})

test('a group_vars or host_vars file with a YAML error is a located error (as in Ansible), not ignored', async () => {
  const dir = write({'hosts.ini': '[web]\nh1\n', 'group_vars/web.yml': 'a: 1\nb: [1,\n', 'host_vars/h1': '- not\n- a mapping\n'})
  const text = await problems(path.join(dir, 'hosts.ini'))
  assert.match(text, /group_vars\/web\.yml:3:1: YAML syntax/)
  assert.match(text, /host_vars\/h1:1:1: a vars file must be a mapping/)
})

test('ports 0, 99999 and abc are refused with their location: host:PORT, ansible_port in hosts, groups and vars files', async () => {
  const dir = write({
    'p.ini': '[web]\nh1:0\nh2:99999\nh3:abc\nh4 ansible_port=70000\nh5 ansible_ssh_port=22\n[web:vars]\nansible_port=x\n',
    'p.yml': 'all:\n  hosts:\n    h1: {ansible_port: 0}\n  vars:\n    ansible_port: "99999"\n',
    'v/hosts.ini': '[web]\nh1\n',
    'v/group_vars/web.yml': 'x: 1\nansible_port: abc\n',
  })
  const ini = await problems(path.join(dir, 'p.ini'))
  for (const re of [/p\.ini:2:1: host `h1:0`: port 0 is out of range/, /p\.ini:3:1: host `h2:99999`: port 99999 is out of range/, /p\.ini:4:1: host `h3:abc`: port `abc` is not a number/, /p\.ini:5:1: ansible_port: port 70000 is out of range/, /p\.ini:8:1: ansible_port: port `x` is not a number/]) assert.match(ini, re)
  assert.doesNotMatch(ini, /p\.ini:6/)
  const yml = await problems(path.join(dir, 'p.yml'))
  assert.match(yml, /p\.yml:3:24: all\.hosts\.h1\.ansible_port: ansible_port: port 0 is out of range/)
  assert.match(yml, /p\.yml:5:19: all\.vars\.ansible_port: ansible_port: port 99999 is out of range/)
  assert.match(await problems(path.join(dir, 'v/hosts.ini')), /group_vars\/web\.yml:2:15: ansible_port: ansible_port: port `abc` is not a number/)
})

test('5,000 hosts in 20 nested groups: groups and vars of every host as before (indexed once)', async () => {
  const lines: string[] = []
  for (let g = 0; g < 20; g++) {
    lines.push(`[g${g}]`)
    for (let h = g; h < 5000; h += 20) lines.push(`host${h} ansible_port=${2200 + (h % 50)}`)
    lines.push(`[g${g}:vars]`, `tier=t${g}`)
  }
  for (let g = 0; g < 10; g++) lines.push(`[g${g}:children]`, `g${g + 10}`)
  const dir = write({'big.ini': lines.join('\n') + '\n'})
  const hosts = inventoryHosts(await readAnsibleInventory(path.join(dir, 'big.ini')))
  assert.equal(hosts.length, 5000)
  const h = hosts.find((x) => x.name === 'host13')!
  // host13 is in g13, a child of g3: the child's vars win (deeper), and it belongs to both (and to all, as in Ansible)
  assert.deepEqual(h.groups, ['g3', 'g13', 'all'])
  assert.equal(h.vars.tier, 't13')
  assert.equal(h.port, 2213)
  const h3 = hosts.find((x) => x.name === 'host3')!
  assert.deepEqual(h3.groups, ['g3', 'all'])
  assert.equal(h3.vars.tier, 't3')
})

test('INI values are Python literals with bounded nesting: 10,000 brackets stay a string, not a stack overflow', async () => {
  const deep = '['.repeat(10000)
  const dir = write({'deep.ini': `[web]\nw1 deep=${deep} digits=${'1'.repeat(50000)}x\n[web:vars]\nlist=[${Array.from({length: 50000}, (_, i) => i).join(', ')}]\n`})
  const [h] = inventoryHosts(await readAnsibleInventory(path.join(dir, 'deep.ini')))
  assert.equal(h!.vars.deep, deep)
  assert.equal(h!.vars.digits, '1'.repeat(50000) + 'x')
  assert.equal((h!.vars.list as number[]).length, 50000)
})
