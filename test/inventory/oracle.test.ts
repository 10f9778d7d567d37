/**
 * The inventory corpus (test/fixtures/inventories/corpus/CASE/) against `ansible-inventory --list`, run at test time:
 * groups and their members (all and ungrouped included), every host's variables, and the connection (address, port,
 * user) Ansible's ssh plugin would use. Cases under corpus/errors/ must be refused by both, dops with a location.
 * ansible-inventory is required (CI installs ansible-core): without it this test fails, it does not skip.
 */
import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {existsSync, mkdtempSync, readdirSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {test} from 'node:test'
import {InvalidInputError} from '../../src/errors.js'
import {hostsOf, varsOf} from '../../src/inventory/ansible-model.js'
import {inventoryHosts, readAnsibleInventory} from '../../src/inventory/ansible.js'
import {ROOT} from '../helpers.js'

const CORPUS = path.join(ROOT, 'test/fixtures/inventories/corpus')
const ENTRY = ['hosts', 'hosts.ini', 'hosts.yml', 'hosts.yaml', 'inventory', 'inventory.ini', 'inventory.yml', 'inventory.yaml']
/** the path a case passes to -i: its hosts/inventory file, or the case directory itself */
const target = (dir: string) => ENTRY.map((n) => path.join(dir, n)).find((f) => existsSync(f)) ?? dir + '/'
const cases = (dir: string) => readdirSync(dir).filter((n) => n !== 'errors').sort().map((n) => path.join(dir, n))

interface Listed {
  _meta?: {hostvars?: Record<string, Record<string, unknown>>}
  [group: string]: {hosts?: string[]; children?: string[]} | undefined | {hostvars?: unknown}
}

// a fresh cwd and HOME: no ansible.cfg of this machine applies
const cwd = mkdtempSync(path.join(os.tmpdir(), 'dops-ansible-oracle-'))
const env = {...process.env, HOME: cwd, ANSIBLE_CONFIG: '', ANSIBLE_NOCOLOR: '1', ANSIBLE_INVENTORY_UNPARSED_FAILED: '1', ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED: '1', ANSIBLE_LOCALHOST_WARNING: '0', ANSIBLE_DEPRECATION_WARNINGS: '0'}

function ansibleList(inv: string): Promise<{code: number; out: string; err: string}> {
  return new Promise((resolve) => {
    execFile('ansible-inventory', ['-i', inv, '--list'], {cwd, env, timeout: 120_000, maxBuffer: 64 << 20}, (e, out, err) => {
      if (e && (e as NodeJS.ErrnoException).code === 'ENOENT') return resolve({code: -1, out: '', err: 'ansible-inventory is not installed (pip install ansible-core)'})
      resolve({code: e ? Number((e as {code?: number}).code ?? 1) : 0, out, err})
    })
  })
}

/** every case's ansible-inventory, started up front, 3 at a time (each takes about a second) */
const oracle = new Map<string, Promise<{code: number; out: string; err: string}>>()
{
  const queue = [...cases(CORPUS), ...cases(path.join(CORPUS, 'errors'))].map(target)
  const lanes = [0, 1, 2].map(() => Promise.resolve() as Promise<unknown>)
  queue.forEach((t, i) => {
    const p = lanes[i % 3]!.then(() => ansibleList(t))
    lanes[i % 3] = p
    oracle.set(t, p)
  })
}

/** Ansible's ssh plugin: for each option the last variable set (not null) in its list wins. */
function connection(name: string, vars: Record<string, unknown>): {address: string; port?: number; user?: string} {
  const last = (...keys: string[]) => keys.map((k) => vars[k]).filter((v) => v !== undefined && v !== null).pop()
  const port = last('ansible_port', 'ansible_ssh_port')
  const user = last('ansible_user', 'ansible_ssh_user')
  return {address: String(last('ansible_host', 'ansible_ssh_host') ?? name), port: port === undefined ? undefined : Number(port), user: user === undefined ? undefined : String(user)}
}

const totals = {inventories: 0, checks: 0}

for (const dir of cases(CORPUS)) {
  const inv = target(dir)
  test(`corpus ${path.basename(dir)}: same groups, members, variables and connections as ansible-inventory`, async () => {
    const r = await oracle.get(inv)!
    assert.equal(r.code, 0, `ansible-inventory -i ${inv} --list failed: ${r.err}`)
    const listed = JSON.parse(r.out) as Listed
    const hostvars = listed._meta?.hostvars ?? {}
    const groups = new Map<string, {hosts?: string[]; children?: string[]}>()
    const visit = (g: string) => {
      if (groups.has(g)) return
      const body = (listed[g] ?? {}) as {hosts?: string[]; children?: string[]}
      groups.set(g, body)
      for (const c of body.children ?? []) visit(c)
    }
    visit('all')
    const members = (g: string, seen = new Set<string>()): Set<string> => {
      const out = new Set(groups.get(g)?.hosts ?? [])
      for (const c of groups.get(g)?.children ?? []) if (!seen.has(c)) for (const h of members(c, new Set([...seen, g]))) out.add(h)
      return out
    }
    const ours = await readAnsibleInventory(inv)
    const mismatches: string[] = []
    let checks = 0
    const check = (what: string, actual: unknown, expected: unknown) => {
      checks++
      try {
        assert.deepEqual(actual, expected)
      } catch {
        mismatches.push(`${what}: dops ${JSON.stringify(actual)}, ansible ${JSON.stringify(expected)}`)
      }
    }
    const allHosts = [...members('all')].sort()
    check('hosts of all', [...hostsOf(ours, 'all')].sort(), allHosts)
    const nonEmpty = (names: Iterable<string>) => [...names].filter((g) => g === 'all' || members(g).size > 0).sort()
    check('groups with hosts', nonEmpty([...ours.groups.keys()].filter((g) => hostsOf(ours, g).length)), nonEmpty(groups.keys()))
    for (const g of groups.keys()) check(`members of ${g}`, hostsOf(ours, g).sort(), [...members(g)].sort())
    const dopsHosts = new Map(inventoryHosts(ours).map((h) => [h.name, h]))
    for (const h of allHosts) {
      const expected = hostvars[h] ?? {}
      check(`vars of ${h}`, JSON.parse(JSON.stringify(varsOf(ours, h))), expected)
      const d = dopsHosts.get(h)
      check(`connection of ${h}`, d && {address: d.address, port: d.port, user: d.user}, connection(h, expected))
    }
    totals.inventories++
    totals.checks += checks
    assert.deepEqual(mismatches, [], `${inv}: ${mismatches.length} of ${checks} checks differ from ansible-inventory`)
  })
}

for (const dir of cases(path.join(CORPUS, 'errors'))) {
  const inv = target(dir)
  test(`corpus errors/${path.basename(dir)}: refused by ansible-inventory and by dops, with a location`, async () => {
    const r = await oracle.get(inv)!
    assert.notEqual(r.code, -1, r.err)
    assert.notEqual(r.code, 0, `ansible-inventory accepted ${inv}`)
    const err = await readAnsibleInventory(inv).then(() => undefined, (e: unknown) => e)
    assert.ok(err instanceof InvalidInputError, `dops accepted ${inv}`)
    assert.ok(err.problems.some((p) => p.file && p.line), `dops's error has no location: ${err.message}`)
    totals.inventories++
    totals.checks++
  })
}

test('corpus totals', {concurrency: false}, () => {
  assert.ok(cases(CORPUS).length + cases(path.join(CORPUS, 'errors')).length >= 30, 'the corpus has at least 30 inventories')
  console.log(`ansible-inventory corpus: ${totals.inventories} inventories, ${totals.checks} checks`)
})
