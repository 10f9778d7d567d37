/**
 * Everything about a revision that does not depend on the host, computed once per deployment: the bundle bytes and
 * checksum, the parsed appspec, the install plan and permissions (checked: nothing on any host changes when they
 * are wrong), the hook scripts and the Install fragment.
 */
import {createHash} from 'node:crypto'
import {mkdir, mkdtemp, readFile, rm, stat} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {InvalidInputError, type Problem} from '../errors.js'
import {SCRIPTED_EVENTS, type Appspec, type AppspecMode, type FileExistsBehavior} from './appspec/types.js'
import {bundleDirectory} from './bundle.js'
import type {HostLayout} from './host-layout.js'
import {planInstall, type InstallOp} from './install-plan.js'
import {planPermissions} from './permissions-plan.js'
import {extractRevision} from './extract.js'
import {formatOf, type Revision} from './revision.js'
import {buildHookScript} from './steps/hooks-script.js'
import {buildInstallScript} from './steps/install-script.js'
import {checkRevision, inspectRevision, type RevisionCheck} from './validate-revision.js'

export interface PreparedRevision {
  id: string
  /** the full content id (id is its first 16 hex digits) */
  contentId: string
  bundleFile: string
  bundle: Buffer
  sha256: string
  appspec: Appspec
  ops: InstallOp[]
  hookScripts: Record<string, string>
  install: string
  warnings: Problem[]
  /** distribution: pull: hosts download the bundle from this pre-signed URL (a secret: never shown or recorded) */
  pull?: PullUrl
}

/**
 * A pull deploy's pre-signed URL: valid until `expiresAt` (ms); `resign` makes a new one (pull.ts currentPullUrl asks
 * for it when the URL would expire before a download could finish, so a long deploy never hands out a dead URL).
 */
export interface PullUrl {
  url: string
  timeoutSec: number
  expiresAt?: number
  /** how long each signed URL is valid, seconds */
  validSec?: number
  resign?: () => Promise<{url: string; expiresAt: number}>
  resigning?: Promise<void>
}

/** Turn any revision source into a bundle in the project's cache (`.dops/bundles/<id>.tgz`). */
export interface BundledRevision {
  file: string
  id: string
  problems: Problem[]
  /** the checked listing, so preparing the bundle does not read it again */
  inspected: {check: RevisionCheck; rev?: Revision}
}

export async function bundleRevision(source: string, cacheDir: string, mode: AppspecMode = 'strict'): Promise<BundledRevision> {
  const st = await stat(source).catch(() => undefined)
  if (!st) throw new InvalidInputError(`revision ${source} does not exist`)
  let dir = source
  let tmp: string | undefined
  let unpack: (() => Promise<void>) | undefined
  if (!st.isDirectory()) {
    const format = formatOf(source)
    if (!format) throw new InvalidInputError(`${source}: a revision is a directory, .tar, .tar.gz, .tgz or .zip`)
    const check = await checkRevision(source, mode)
    if (check.problems.some((p) => p.severity !== 'warning') || !check.revision) throw new InvalidInputError(`${source}: the revision is not valid; nothing was deployed`, check.problems)
    const into = (tmp = await mkdtemp(path.join(os.tmpdir(), 'dops-unpack-')))
    const prefix = check.revision.strippedPrefix
    unpack = () => extractRevision(source, format, into, prefix)
    dir = tmp
  }
  try {
    await unpack?.()
    await mkdir(cacheDir, {recursive: true})
    const inspected = await inspectRevision(dir, mode)
    const probe = inspected.check
    if (probe.problems.some((p) => p.severity !== 'warning') || !probe.revision) throw new InvalidInputError(`${source}: the revision is not valid; nothing was deployed`, probe.problems)
    const file = path.join(cacheDir, `${probe.revision.id}.tgz`)
    if (!(await stat(file).catch(() => undefined))) await bundleDirectory(dir, {cwd: cacheDir, out: file, mode, inspected})
    return {file, id: probe.revision.id, problems: probe.problems, inspected}
  } finally {
    if (tmp) await rm(tmp, {recursive: true, force: true})
  }
}

export async function prepareRevision(bundleFile: string, layout: HostLayout, opts: {mode?: AppspecMode; behavior?: FileExistsBehavior; inspected?: {check: RevisionCheck; rev?: Revision}} = {}): Promise<PreparedRevision> {
  const inspected = opts.inspected ?? (await inspectRevision(bundleFile, opts.mode))
  const check = inspected.check
  const errors = check.problems.filter((p) => p.severity !== 'warning')
  if (errors.length || !check.appspec || !check.revision || !inspected.rev) throw new InvalidInputError(`${bundleFile}: the revision is not valid; nothing was deployed`, check.problems)
  const rev = inspected.rev
  const plan = planInstall(check.appspec, rev)
  const perms = planPermissions(check.appspec.permissions, plan.ops)
  if (plan.problems.length || perms.problems.length) throw new InvalidInputError(`${bundleFile}: the install plan is not valid; nothing was deployed`, [...plan.problems, ...perms.problems])
  const id = check.revision.id.slice(0, 16)
  const hookScripts: Record<string, string> = {}
  for (const e of SCRIPTED_EVENTS) {
    const scripts = check.appspec.hooks[e]
    if (scripts?.length) hookScripts[e] = buildHookScript(e, layout.archive(id), scripts)
  }
  const bundle = await readFile(bundleFile)
  return {
    id,
    contentId: check.revision.id,
    bundleFile,
    bundle,
    sha256: createHash('sha256').update(bundle).digest('hex'),
    appspec: check.appspec,
    ops: plan.ops,
    hookScripts,
    install: buildInstallScript({appspec: check.appspec, ops: plan.ops, permissions: perms.actions, layout, revision: id, behavior: opts.behavior}),
    warnings: check.problems,
  }
}
