/**
 * `dops bundle`: pack a revision directory into a reproducible .tgz (sorted entries, fixed mtimes, no owner names)
 * named by its content id. The directory is checked first: a bundle is never made of an invalid revision.
 */
import {mkdir, rename, stat} from 'node:fs/promises'
import path from 'node:path'
import {InvalidInputError} from '../errors.js'
import type {AppspecMode} from './appspec/types.js'
import {openRevision, type Revision} from './revision.js'
import {inspectRevision, type RevisionCheck} from './validate-revision.js'

export interface BundleResult {
  file: string
  id: string
  files: number
  bytes: number
  problems: RevisionCheck['problems']
}

export async function bundleDirectory(dir: string, opts: {out?: string; cwd: string; mode?: AppspecMode; inspected?: {check: RevisionCheck; rev?: Revision}}): Promise<BundleResult> {
  const st = await stat(dir).catch(() => undefined)
  if (!st?.isDirectory()) throw new InvalidInputError(`${dir} is not a directory: dops bundle packs a revision directory`)
  const inspected = opts.inspected ?? (await inspectRevision(dir, opts.mode))
  const check = inspected.check
  const errors = check.problems.filter((p) => p.severity !== 'warning')
  if (errors.length || !check.revision) throw new InvalidInputError(`${dir}: the revision is not valid; nothing was bundled`, check.problems)
  if (check.revision.strippedPrefix) throw new InvalidInputError(`${dir}: appspec.yml is inside ${check.revision.strippedPrefix}; bundle that directory instead`)
  const id = check.revision.id
  const out = path.resolve(opts.cwd, opts.out ?? `${path.basename(path.resolve(dir))}-${id.slice(0, 12)}.tgz`)
  await mkdir(path.dirname(out), {recursive: true})
  const rev = inspected.rev ?? (await openRevision(dir))
  const names = [...rev.entries.keys()].sort()
  const tar = await import('tar')
  const tmp = `${out}.${process.pid}.tmp`
  await tar.create({gzip: true, file: tmp, cwd: dir, portable: true, noDirRecurse: true, mtime: new Date(0)}, names)
  await rename(tmp, out)
  return {file: out, id, files: check.revision.files, bytes: (await stat(out)).size, problems: check.problems}
}
