/**
 * `dops bundle`: pack a revision directory into a reproducible .tgz (sorted entries, fixed mtimes, no owner names)
 * named by its content id. The directory is checked first: a bundle is never made of an invalid revision.
 */
import {mkdir, rename, rm, stat} from 'node:fs/promises'
import path from 'node:path'
import {DopsError, ExitCode, InvalidInputError} from '../errors.js'
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
  const name = `${path.basename(path.resolve(dir))}-${id.slice(0, 12)}.tgz`
  // `-o DIR/` (or an existing directory): the bundle goes inside it under its default name
  const given = opts.out === undefined ? undefined : path.resolve(opts.cwd, opts.out)
  const intoDir = given !== undefined && (/[\\/]$/.test(opts.out!) || !!(await stat(given).catch(() => undefined))?.isDirectory())
  const out = given === undefined ? path.resolve(opts.cwd, name) : intoDir ? path.join(given, name) : given
  await mkdir(path.dirname(out), {recursive: true})
  const rev = inspected.rev ?? (await openRevision(dir))
  const names = [...rev.entries.keys()].sort()
  const tar = await import('tar')
  const tmp = path.join(path.dirname(out), `.${path.basename(out)}.${process.pid}.tmp`)
  try {
    await tar.create({gzip: true, file: tmp, cwd: dir, portable: true, noDirRecurse: true, mtime: new Date(0)}, names)
    await rename(tmp, out)
  } catch (e) {
    await rm(tmp, {force: true})
    const err = e as NodeJS.ErrnoException
    if (err.code === 'EISDIR' || err.code === 'ENOTDIR' || err.code === 'EACCES' || err.code === 'ENOSPC') throw new DopsError('BUNDLE_WRITE', `cannot write ${out}: ${err.code}; nothing was bundled`, {exitCode: ExitCode.INVALID_INPUT})
    throw e
  }
  return {file: out, id, files: check.revision.files, bytes: (await stat(out)).size, problems: check.problems}
}
