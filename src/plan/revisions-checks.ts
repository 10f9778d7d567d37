/** Checks of the revision store's keys the schema cannot express: `distribution: pull` needs a store; s3:// sources. */
import type {At} from './schedule-checks.js'
import type {Plan} from './types.js'

const obj = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {})

export function checkRevisionStore(plan: Plan, at: At): void {
  const hasStore = typeof obj(plan.revisions).store === 'string'
  for (const [name, raw] of Object.entries(obj(plan.apps))) {
    const app = obj(raw)
    if (app.distribution === 'pull' && !hasStore) at(['apps', name, 'distribution'], '`distribution: pull` needs a revision store: hosts download the revision from it', 'add `revisions: {store: s3://bucket/prefix}` to the plan')
    const src = app.source
    if (typeof src !== 'string' || !src.startsWith('s3://')) continue
    if (!/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/.*[^/]$/.test(src)) at(['apps', name, 'source'], `\`${src}\` is not a stored revision: expected s3://bucket/prefix/${name}/<sha256>.tgz`, `\`dops bundle push ${name}\` prints it`)
    else if (typeof app.build === 'string') at(['apps', name, 'source'], 'a stored revision is deployed as it is: the app\'s `build` would never run', 'remove `build`, or point `source` at the directory the build makes')
  }
}
