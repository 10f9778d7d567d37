/** An Ansible inventory in memory: groups (hosts, children, vars) and hosts (vars), with Ansible's var precedence. */
import {findCycles} from '../plan/cycles.js'
import {countHostRange, expandHostRange, MAX_HOSTS} from './host-range.js'

export type InvVars = Record<string, unknown>

export interface InvGroup {
  name: string
  hosts: Set<string>
  children: Set<string>
  /** vars written in the inventory itself */
  vars: InvVars
  /** vars from group_vars/NAME files, which beat every group's inline vars (Ansible's precedence) */
  fileVars: InvVars
}

export interface Inventory {
  file: string
  groups: Map<string, InvGroup>
  hostVars: Map<string, InvVars>
  /** vars from host_vars/NAME files, which beat the host's inline vars */
  hostFileVars: Map<string, InvVars>
  /** hosts in the order they first appear */
  hostOrder: string[]
}

export function newInventory(file: string): Inventory {
  const inv: Inventory = {file, groups: new Map(), hostVars: new Map(), hostFileVars: new Map(), hostOrder: []}
  ensureGroup(inv, 'all')
  ensureGroup(inv, 'ungrouped')
  return inv
}

export function ensureGroup(inv: Inventory, name: string): InvGroup {
  let g = inv.groups.get(name)
  if (!g) {
    g = {name, hosts: new Set(), children: new Set(), vars: {}, fileVars: {}}
    inv.groups.set(name, g)
  }
  return g
}

export function addHost(inv: Inventory, group: string, host: string, vars: InvVars): void {
  let own = inv.hostVars.get(host)
  if (!own) {
    own = {}
    inv.hostVars.set(host, own)
    inv.hostOrder.push(host)
  }
  Object.assign(own, vars)
  ensureGroup(inv, group).hosts.add(host)
}

/** Raised when an inventory would hold more than MAX_HOSTS hosts: the parsers stop at the first one. */
export class TooManyHostsError extends Error {}

/** Add every host of a pattern (`web[01:20]`), refusing before expanding when the inventory would pass MAX_HOSTS. */
export function addHostPattern(inv: Inventory, group: string, pattern: string, vars: InvVars): void {
  const count = countHostRange(pattern)
  if (inv.hostOrder.length + count > MAX_HOSTS) {
    if (count <= MAX_HOSTS) throw new TooManyHostsError(`the inventory has more than ${MAX_HOSTS.toLocaleString('en-US')} hosts (the most dops reads)`)
    throw new TooManyHostsError(`host pattern ${pattern.length > 60 ? pattern.slice(0, 60) + '…' : pattern} expands to ${count > 1e15 ? 'more than 10^15' : count.toLocaleString('en-US')} hosts; the most is ${MAX_HOSTS.toLocaleString('en-US')}`)
  }
  for (const h of expandHostRange(pattern)) addHost(inv, group, h, {...vars})
}

/** `children` loops (a is a child of b, b of a), each as the list of groups; Ansible refuses them too. */
export function childCycles(inv: Inventory): string[][] {
  return findCycles(Object.fromEntries([...inv.groups.values()].map((g) => [g.name, [...g.children]])))
}

/** Memberships computed once, so listing N hosts of G groups is O(N * G), not O(N^2 * G). */
interface InventoryIndex {
  /** hosts of each group, its children's included */
  members: Map<string, Set<string>>
  /** groups of each host (except `all`), in group order */
  groupsByHost: Map<string, string[]>
  depth: Map<string, number>
}

const indexes = new WeakMap<Inventory, {groups: number; hosts: number; index: InventoryIndex}>()

/** Groups in post-order over `children` (a group after all its children); iterative, so any depth; loops are cut. */
function postOrder(inv: Inventory): string[] {
  const order: string[] = []
  const seen = new Set<string>()
  const kids = (n: string) => (inv.groups.get(n)?.children ?? new Set<string>())[Symbol.iterator]()
  for (const root of inv.groups.keys()) {
    if (seen.has(root)) continue
    seen.add(root)
    const stack = [root]
    const iters = [kids(root)]
    while (stack.length) {
      const step = iters[iters.length - 1]!.next()
      if (step.done) {
        order.push(stack.pop()!)
        iters.pop()
      } else if (!seen.has(step.value) && inv.groups.has(step.value)) {
        seen.add(step.value)
        stack.push(step.value)
        iters.push(kids(step.value))
      }
    }
  }
  return order
}

function indexOf(inv: Inventory): InventoryIndex {
  const cached = indexes.get(inv)
  if (cached && cached.groups === inv.groups.size && cached.hosts === inv.hostOrder.length) return cached.index
  const order = postOrder(inv)
  const members = new Map<string, Set<string>>()
  for (const name of order) {
    if (name === 'all') continue
    const g = inv.groups.get(name)!
    const out = new Set(g.hosts)
    for (const c of g.children) for (const h of members.get(c) ?? []) out.add(h)
    members.set(name, out)
  }
  // as Ansible reconciles: `ungrouped` holds exactly the hosts that belong to no group but `all` (and itself)
  const grouped = new Set<string>()
  for (const [name, hosts] of members) if (name !== 'ungrouped') for (const h of hosts) grouped.add(h)
  members.set('ungrouped', new Set(inv.hostOrder.filter((h) => !grouped.has(h))))
  const groupsByHost = new Map<string, string[]>()
  for (const name of inv.groups.keys()) for (const h of members.get(name) ?? []) (groupsByHost.get(h) ?? groupsByHost.set(h, []).get(h)!).push(name)
  // parents before children: a group's depth is one more than its deepest parent's (all: 0)
  const depth = new Map<string, number>([['all', 0]])
  for (const name of [...order].reverse()) {
    const base = depth.get(name) ?? 1
    for (const c of inv.groups.get(name)!.children) if (c !== name && c !== 'all') depth.set(c, Math.max(depth.get(c) ?? 1, base + 1))
  }
  const index = {members, groupsByHost, depth}
  indexes.set(inv, {groups: inv.groups.size, hosts: inv.hostOrder.length, index})
  return index
}

/** Hosts of a group and of its children, recursively, in inventory order. `all` is every host. */
export function hostsOf(inv: Inventory, group: string): string[] {
  if (group === 'all') return [...inv.hostOrder]
  const found = indexOf(inv).members.get(group)
  return found ? inv.hostOrder.filter((h) => found.has(h)) : []
}

/** Groups a host belongs to, directly or through children, except `all`. */
export function groupsOf(inv: Inventory, host: string): string[] {
  return [...(indexOf(inv).groupsByHost.get(host) ?? [])]
}

/** `ansible_group_priority` of a group's inline vars (Ansible reads it with int(); files do not set it). */
function priority(inv: Inventory, group: string): number {
  const p = Number.parseInt(String(inv.groups.get(group)?.vars.ansible_group_priority ?? 1), 10)
  return Number.isFinite(p) ? p : 1
}

/** Ansible's sort_groups: by depth, then ansible_group_priority, then name in plain code-point order (not locale). */
export function sortGroups(inv: Inventory, groups: string[]): string[] {
  const {depth} = indexOf(inv)
  const d = (g: string) => depth.get(g) ?? 0
  return [...groups].sort((a, b) => d(a) - d(b) || priority(inv, a) - priority(inv, b) || (a < b ? -1 : a > b ? 1 : 0))
}

/**
 * Ansible's precedence (VariableManager): `all` then the host's groups sorted (inline inventory vars), then the same
 * groups' group_vars files, then the host's inline vars, then its host_vars files.
 */
export function varsOf(inv: Inventory, host: string): InvVars {
  const groups = ['all', ...sortGroups(inv, groupsOf(inv, host).filter((g) => g !== 'all'))]
  const out: InvVars = {}
  // ansible_group_priority written in the inventory sets the group's priority; it is not a variable there
  for (const g of groups) for (const [k, v] of Object.entries(inv.groups.get(g)?.vars ?? {})) if (k !== 'ansible_group_priority') out[k] = v
  for (const g of groups) Object.assign(out, inv.groups.get(g)?.fileVars)
  return Object.assign(out, inv.hostVars.get(host), inv.hostFileVars.get(host))
}
