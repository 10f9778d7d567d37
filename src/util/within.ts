import path from 'node:path'

/**
 * `child` is a path under `parent`, not `parent` itself (compared after resolving `.` and `..`; relative paths
 * against the working directory). A name that merely starts with two dots (`..cache`) is under it.
 */
export function isWithin(parent: string, child: string): boolean {
  const rel = path.relative(path.resolve(parent), path.resolve(child))
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel)
}
