/**
 * Plan every file operation of Install before anything on a host changes (the agent removes the previous files
 * first and discovers a missing source or a duplicate destination halfway): the agent's copy semantics, checked.
 */
import path from 'node:path'
import type {Problem} from '../errors.js'
import type {Appspec} from './appspec/types.js'
import type {Revision} from './revision.js'

export interface InstallOp {
  kind: 'mkdir' | 'copy' | 'symlink'
  destination: string
  /** path in the revision (copy, symlink) */
  source?: string
  /** index of the `files` entry that produced it */
  mapping: number
}

export interface InstallPlan {
  ops: InstallOp[]
  problems: Problem[]
}

export function planInstall(appspec: Appspec, rev: Revision): InstallPlan {
  const ops: InstallOp[] = []
  const problems: Problem[] = []
  const copies = new Map<string, InstallOp>()
  const dirs = new Set<string>()
  const mkdir = (destination: string, mapping: number) => {
    if (dirs.has(destination)) return
    dirs.add(destination)
    ops.push({kind: 'mkdir', destination, mapping})
  }
  const copy = (op: InstallOp) => {
    const prev = copies.get(op.destination)
    if (prev) {
      problems.push({path: `files[${op.mapping}]`, message: `two source files named ${prev.source} and ${op.source} are installed to the same destination (${op.destination})`})
      return
    }
    copies.set(op.destination, op)
    ops.push(op)
  }
  appspec.files.forEach((m, i) => {
    const isRoot = m.source === ''
    const entry = isRoot ? undefined : rev.entries.get(m.source)
    if (!isRoot && !entry) {
      problems.push({path: `files[${i}].source`, message: `source \`${m.source}\` does not exist in the revision`})
      return
    }
    mkdir(m.destination, i)
    if (isRoot || entry!.type === 'dir') {
      // a directory's contents are copied into the destination (the directory itself is not recreated under it)
      const prefix = isRoot ? '' : m.source + '/'
      const below = [...rev.entries.values()].filter((e) => e.path.startsWith(prefix) && e.path !== m.source).sort((a, b) => (a.path < b.path ? -1 : 1))
      for (const e of below) {
        const destination = path.posix.join(m.destination, e.path.slice(prefix.length))
        if (e.type === 'dir') mkdir(destination, i)
        else copy({kind: e.type === 'symlink' ? 'symlink' : 'copy', source: e.path, destination, mapping: i})
      }
    } else {
      // a file lands in the destination directory under its own name: files cannot be renamed
      copy({kind: entry!.type === 'symlink' ? 'symlink' : 'copy', source: m.source, destination: path.posix.join(m.destination, path.posix.basename(m.source)), mapping: i})
    }
  })
  for (const d of dirs) if (copies.has(d)) problems.push({path: `files[${copies.get(d)!.mapping}]`, message: `${d} is both a directory and a file of this revision`})
  return {ops, problems}
}
