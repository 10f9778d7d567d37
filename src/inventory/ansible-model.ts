/** An Ansible inventory in memory: groups (hosts, children, vars) and hosts (vars), with Ansible's var precedence. */
export type InvVars = Record<string, unknown>

export interface InvGroup {
  name: string
  hosts: Set<string>
  children: Set<string>
  vars: InvVars
}

export interface Inventory {
  file: string
  groups: Map<string, InvGroup>
  hostVars: Map<string, InvVars>
  /** hosts in the order they first appear */
  hostOrder: string[]
}

export function newInventory(file: string): Inventory {
  const inv: Inventory = {file, groups: new Map(), hostVars: new Map(), hostOrder: []}
  ensureGroup(inv, 'all')
  ensureGroup(inv, 'ungrouped')
  return inv
}

export function ensureGroup(inv: Inventory, name: string): InvGroup {
  let g = inv.groups.get(name)
  if (!g) {
    g = {name, hosts: new Set(), children: new Set(), vars: {}}
    inv.groups.set(name, g)
  }
  return g
}

export function addHost(inv: Inventory, group: string, host: string, vars: InvVars): void {
  if (!inv.hostVars.has(host)) {
    inv.hostVars.set(host, {})
    inv.hostOrder.push(host)
  }
  Object.assign(inv.hostVars.get(host)!, vars)
  ensureGroup(inv, group).hosts.add(host)
}

/** Hosts of a group and of its children, recursively, in inventory order. `all` is every host. */
export function hostsOf(inv: Inventory, group: string): string[] {
  if (group === 'all') return [...inv.hostOrder]
  const found = new Set<string>()
  const seen = new Set<string>()
  const walk = (name: string) => {
    if (seen.has(name)) return
    seen.add(name)
    const g = inv.groups.get(name)
    if (!g) return
    for (const h of g.hosts) found.add(h)
    for (const c of g.children) walk(c)
  }
  walk(group)
  return inv.hostOrder.filter((h) => found.has(h))
}

/** Groups a host belongs to, directly or through children, except `all`. */
export function groupsOf(inv: Inventory, host: string): string[] {
  return [...inv.groups.values()].filter((g) => g.name !== 'all' && hostsOf(inv, g.name).includes(host)).map((g) => g.name)
}

function depth(inv: Inventory, group: string): number {
  if (group === 'all') return 0
  let best = 1
  for (const g of inv.groups.values()) if (g.children.has(group) && g.name !== group) best = Math.max(best, depth(inv, g.name) + 1)
  return best
}

/** Ansible precedence: `all` vars, then parent groups before child groups (by depth, then name), then host vars. */
export function varsOf(inv: Inventory, host: string): InvVars {
  const groups = ['all', ...groupsOf(inv, host)]
  groups.sort((a, b) => depth(inv, a) - depth(inv, b) || a.localeCompare(b))
  const out: InvVars = {}
  for (const g of groups) Object.assign(out, inv.groups.get(g)?.vars)
  return Object.assign(out, inv.hostVars.get(host))
}
