/**
 * Check an appspec file or a whole revision before anything is deployed: the appspec itself, then against the
 * revision's contents: sources and hook scripts exist, no two files land on one destination, scripts have a shebang.
 */
import {stat} from 'node:fs/promises'
import {readRegularFile} from '../util/read-regular.js'
import path from 'node:path'
import {InvalidInputError, type Problem} from '../errors.js'
import {locate, type PathSegment} from '../plan/yaml-source.js'
import {parseAppspec} from './appspec/parse.js'
import {controlCharIn, showPath} from './appspec/paths.js'
import {SCRIPTED_EVENTS, type Appspec, type AppspecMode} from './appspec/types.js'
import {planInstall} from './install-plan.js'
import {openRevision, readRevisionFile, type Revision} from './revision.js'

/** The largest appspec file read on its own (real ones are a few KiB). */
const MAX_APPSPEC_BYTES = 4 * 1024 * 1024

export interface RevisionCheck {
  source: string
  /** absent when only an appspec file was checked */
  revision?: {id: string; format: Revision['format']; files: number; strippedPrefix: string}
  appspec?: Appspec
  problems: Problem[]
}

const errorsIn = (ps: Problem[]) => ps.filter((p) => p.severity !== 'warning')

export async function checkRevision(source: string, mode: AppspecMode = 'strict'): Promise<RevisionCheck> {
  return (await inspectRevision(source, mode)).check
}

/** The check and the revision's listing, for callers that go on to bundle or deploy it (read once). */
export async function inspectRevision(source: string, mode: AppspecMode = 'strict'): Promise<{check: RevisionCheck; rev?: Revision}> {
  const st = await stat(source).catch((e: NodeJS.ErrnoException) => {
    throw new InvalidInputError(`cannot read ${source}: ${e.code ?? e.message}`)
  })
  if (st.isFile() && /\.ya?ml$/i.test(source)) {
    let text: string
    try {
      text = readRegularFile(source, MAX_APPSPEC_BYTES)
    } catch (e) {
      throw new InvalidInputError(`cannot read ${source}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`)
    }
    const r = parseAppspec(source, text, mode)
    return {check: {source, appspec: r.appspec, problems: r.problems}}
  }
  const rev = await openRevision(source)
  const summary = {id: rev.id, format: rev.format, files: [...rev.entries.values()].filter((e) => e.type !== 'dir').length, strippedPrefix: rev.strippedPrefix}
  if (!rev.appspecName) {
    return {rev, check: {source, revision: summary, problems: [{file: source, message: 'no appspec.yml (or appspec.yaml) at the root of the revision, nor inside a single top-level directory'}]}}
  }
  // a TAB or newline in a file name breaks the host-side install (and could break out of its generated script)
  const named: Problem[] = []
  for (const name of rev.entries.keys()) {
    const ctl = controlCharIn(name)
    if (ctl) named.push({file: source, path: showPath(name), message: `file name \`${showPath(name)}\` in the revision contains ${ctl}; rename it (file names may not contain control characters)`})
    if (named.length >= 20) break
  }
  const display = rev.format === 'directory' ? path.join(source, rev.appspecName) : `${source}!${rev.strippedPrefix}${rev.appspecName}`
  const text = (await readRevisionFile(rev, rev.appspecName))!.toString('utf8')
  const r = parseAppspec(display, text, mode)
  const problems = [...named, ...r.problems]
  if (r.appspec && r.source) {
    const at = (p: PathSegment[]) => ({file: display, ...locate(r.source!, p)})
    for (const p of planInstall(r.appspec, rev).problems) {
      const segs = (p.path ?? '').replace(/\[(\d+)\]/g, '.$1').split('.').filter(Boolean).map((s) => (/^\d+$/.test(s) ? Number(s) : s))
      problems.push({...at(segs), ...p})
    }
    for (const event of SCRIPTED_EVENTS) {
      for (const [i, h] of (r.appspec.hooks[event] ?? []).entries()) {
        const entry = rev.entries.get(h.location)
        const where = ['hooks', event, i, 'location']
        if (!entry || entry.type === 'dir') problems.push({...at(where), path: `hooks.${event}[${i}].location`, message: `script ${h.location} does not exist in the revision`})
        else {
          const head = (await readRevisionFile(rev, h.location))?.subarray(0, 2).toString()
          if (head !== undefined && head !== '#!') problems.push({...at(where), path: `hooks.${event}[${i}].location`, severity: 'warning', message: `script ${h.location} has no #! line; dops runs it with /bin/sh`})
        }
      }
    }
  }
  return {rev, check: {source, revision: summary, appspec: errorsIn(problems).length ? undefined : r.appspec, problems}}
}
