/**
 * Where a deployment lives on a host. One root per project, environment and app (default
 * /var/lib/dops/apps/<project>.<env>.<app>; names cannot hold a dot, so two roots never meet):
 *   revisions/<id>/archive/        the unpacked revision (kept, so a rollback needs no download)
 *   revisions/<id>/hooks/<Event>.sh  that revision's scripts for the event, generated at upload
 *   revisions/<id>/complete        written last: the revision is fully there
 *   current -> revisions/<id>      the last successful Install (its hooks are the "previous revision" next time)
 *   cleanup                        what the last Install created, removed before the next one copies
 *   history.jsonl                  one line per deployment to this host
 *   logs/<deployment-id>.log       hook output, as CodeDeploy's scripts.log (0600)
 * Before dops namespaced the root it was /var/lib/dops/apps/<app> (`legacyRoot`): the first deployment (or drain) of
 * the app under the new layout adopts such a root (see steps/adopt-legacy.ts).
 */
import path from 'node:path'

export const DEFAULT_DEPLOY_ROOT = '/var/lib/dops/apps'

export interface LayoutName {
  project: string
  env: string
  app: string
}

export interface HostLayout {
  root: string
  /** the root dops used for this app before it namespaced roots, when it differs from `root` */
  legacyRoot?: string
  revision(id: string): string
  archive(id: string): string
  hooks(id: string): string
  current: string
  cleanup: string
  history: string
  log(deploymentId: string): string
}

const NAME = /^[a-z0-9][a-z0-9-]*$/

/** The layout of one project's environment's app; a bare app name gives the root dops used before namespacing. */
export function hostLayout(name: LayoutName | string, base = DEFAULT_DEPLOY_ROOT): HostLayout {
  const n = typeof name === 'string' ? {app: name} : name
  for (const v of 'project' in n ? [n.project, n.env, n.app] : [n.app]) if (!NAME.test(v)) throw new Error(`invalid layout name ${v}`)
  const legacyRoot = path.posix.join(base, n.app)
  const root = 'project' in n ? path.posix.join(base, `${n.project}.${n.env}.${n.app}`) : legacyRoot
  return {
    root,
    legacyRoot: root === legacyRoot ? undefined : legacyRoot,
    revision: (id) => path.posix.join(root, 'revisions', id),
    archive: (id) => path.posix.join(root, 'revisions', id, 'archive'),
    hooks: (id) => path.posix.join(root, 'revisions', id, 'hooks'),
    current: path.posix.join(root, 'current'),
    cleanup: path.posix.join(root, 'cleanup'),
    history: path.posix.join(root, 'history.jsonl'),
    log: (d) => path.posix.join(root, 'logs', `${d}.log`),
  }
}

/** A shell command printing the revision `current` points to (the legacy root's, before adoption), or nothing. */
export function readCurrentCommand(layout: HostLayout): string {
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`
  const legacy = layout.legacyRoot ? ` || readlink ${q(layout.legacyRoot + '/current')} 2>/dev/null` : ''
  return `{ readlink ${q(layout.current)} 2>/dev/null${legacy} || true; }`
}
