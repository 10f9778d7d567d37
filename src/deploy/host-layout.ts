/**
 * Where a deployment lives on a host. One root per app (default /var/lib/dops/apps/<app>):
 *   revisions/<id>/archive/        the unpacked revision (kept, so a rollback needs no download)
 *   revisions/<id>/hooks/<Event>.sh  that revision's scripts for the event, generated at upload
 *   revisions/<id>/complete        written last: the revision is fully there
 *   current -> revisions/<id>      the last successful Install (its hooks are the "previous revision" next time)
 *   cleanup                        what the last Install created, removed before the next one copies
 *   history.jsonl                  one line per deployment to this host
 *   logs/<deployment-id>.log       hook output, as CodeDeploy's scripts.log
 */
import path from 'node:path'

export const DEFAULT_DEPLOY_ROOT = '/var/lib/dops/apps'

export interface HostLayout {
  root: string
  revision(id: string): string
  archive(id: string): string
  hooks(id: string): string
  current: string
  cleanup: string
  history: string
  log(deploymentId: string): string
}

export function hostLayout(app: string, base = DEFAULT_DEPLOY_ROOT): HostLayout {
  if (!/^[a-z][a-z0-9-]*$/.test(app)) throw new Error(`invalid app name ${app}`)
  const root = path.posix.join(base, app)
  return {
    root,
    revision: (id) => path.posix.join(root, 'revisions', id),
    archive: (id) => path.posix.join(root, 'revisions', id, 'archive'),
    hooks: (id) => path.posix.join(root, 'revisions', id, 'hooks'),
    current: path.posix.join(root, 'current'),
    cleanup: path.posix.join(root, 'cleanup'),
    history: path.posix.join(root, 'history.jsonl'),
    log: (d) => path.posix.join(root, 'logs', `${d}.log`),
  }
}
