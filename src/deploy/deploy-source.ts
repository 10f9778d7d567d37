/**
 * The revision a deployment deploys: the app's build, its bundle in the project's cache, a cached bundle by id
 * (rollback), and the read-only view `deploy --plan` uses (no build, no bundle, no extraction, nothing written).
 */
import {readdir, stat} from 'node:fs/promises'
import path from 'node:path'
import {DopsError, ExitCode, InvalidInputError} from '../errors.js'
import type {Appspec} from './appspec/types.js'
import {inspectRevision} from './validate-revision.js'

export async function runBuild(command: string, cwd: string): Promise<void> {
  const {execa} = await import('execa')
  const r = await execa(command, {shell: true, cwd, reject: false, all: true, stdin: 'ignore'})
  if (r.exitCode !== 0) throw new DopsError('BUILD_FAILED', `the build \`${command}\` failed with exit code ${r.exitCode}; nothing was deployed\n${String(r.all ?? '').split('\n').slice(-20).join('\n')}`, {exitCode: ExitCode.DEPLOY_FAILED})
}

/** Find a cached bundle by host revision id (the first 16 hex digits of its content id). */
export async function cachedBundle(cacheDir: string, id: string): Promise<string | undefined> {
  const names = await readdir(cacheDir).catch(() => [] as string[])
  const hit = names.find((n) => n.startsWith(id) && n.endsWith('.tgz'))
  return hit ? path.join(cacheDir, hit) : undefined
}

export interface PlannedRevision {
  /** the host revision id (16 hex digits); empty when the revision does not exist before its build */
  id: string
  appspec?: Appspec
  /** why the id may differ at deploy time */
  note?: string
}

/**
 * The revision as `--plan` sees it, read in place: a directory or archive is listed (never extracted), the app's
 * build is not run, nothing is bundled or written. Invalid revisions are refused as a deployment would refuse them.
 */
export async function planRevision(source: string, build: string | undefined): Promise<PlannedRevision> {
  const exists = await stat(source).catch(() => undefined)
  const buildNote = build ? `the app's build (\`${build}\`) runs first when deploying; --plan does not run it` : undefined
  if (!exists) {
    if (build) return {id: '', note: `${source} does not exist yet: ${buildNote}`}
    throw new InvalidInputError(`revision ${source} does not exist`)
  }
  const {check} = await inspectRevision(source)
  if (check.problems.some((p) => p.severity !== 'warning') || !check.revision || !check.appspec) throw new InvalidInputError(`${source}: the revision is not valid; nothing was deployed`, check.problems)
  return {id: check.revision.id.slice(0, 16), appspec: check.appspec, note: buildNote ? `${buildNote}: the id is of ${source} as it is now` : undefined}
}
