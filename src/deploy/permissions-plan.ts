/**
 * Which paths each `permissions` entry applies to, as the agent decides, computed here from the install plan (they
 * only ever apply to what this deployment's `files` section created):
 * - `object` is a copied file: that file (type file);
 * - `object` is a directory: everything created below it (never the object itself); `pattern: "**"` means all
 *   descendants, any other pattern (only `*` wildcards) the immediate children whose name matches; `except` globs
 *   match immediate children's names.
 * A path matched by two entries is an error, as in the agent.
 */
import path from 'node:path'
import type {Problem} from '../errors.js'
import type {Permission} from './appspec/types.js'
import type {InstallOp} from './install-plan.js'

export interface PermissionAction {
  path: string
  kind: 'file' | 'directory'
  permission: number
}

const glob = (p: string) => new RegExp('^' + p.replace(/[.+^${}()|[\]\\?]/g, '\\$&').replace(/\*/g, '.*') + '$')

export function planPermissions(permissions: Permission[], ops: InstallOp[]): {actions: PermissionAction[]; problems: Problem[]} {
  const targets = ops.map((o) => ({path: o.destination, kind: o.kind === 'mkdir' ? ('directory' as const) : ('file' as const)}))
  const byPath = new Map<string, number>()
  const actions: PermissionAction[] = []
  const problems: Problem[] = []
  permissions.forEach((p, i) => {
    const matched: typeof targets = []
    const file = targets.find((t) => t.path === p.object && t.kind === 'file')
    if (file) {
      if (p.pattern !== '**' || p.except.length) problems.push({path: `permissions[${i}]`, message: `the object ${p.object} is a file: a pattern or except applies to directories only`})
      else if (p.type.includes('file')) matched.push(file)
    } else {
      const prefix = p.object.replace(/\/+$/, '') + '/'
      const except = p.except.map(glob)
      for (const t of targets) {
        if (!t.path.startsWith(prefix) || !p.type.includes(t.kind)) continue
        const rel = t.path.slice(prefix.length)
        const child = rel.split('/')[0]!
        if (except.some((re) => re.test(child))) continue
        if (p.pattern === '**' || (!rel.includes('/') && glob(p.pattern).test(path.posix.basename(rel)))) matched.push(t)
      }
    }
    for (const t of matched) {
      if (byPath.has(t.path)) {
        problems.push({path: `permissions[${i}]`, message: `the permissions of ${t.path} are set more than once (entries ${byPath.get(t.path)} and ${i})`})
        continue
      }
      byPath.set(t.path, i)
      actions.push({path: t.path, kind: t.kind, permission: i})
    }
  })
  return {actions, problems}
}
