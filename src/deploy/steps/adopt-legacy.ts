/**
 * Hosts deployed before dops namespaced the host layout keep the app in `<deployRoot>/<app>`. The first driver or
 * upload of the app under the new layout, run under the deploy lock, moves that root to the namespaced one (one
 * atomic rename: of two projects that both deploy an app of that name, the first adopts it, the other starts
 * afresh) and points the moved revisions' hook scripts at their new place, so the previous revision's
 * ApplicationStop still runs. Nothing happens when the new root exists or the old one is not a dops root.
 */
import {shQuote} from '../../transport/remote-command.js'
import type {HostLayout} from '../host-layout.js'

/** Paths that can be written into a sed replacement and a single-quoted word as they are. */
const PLAIN = /^[A-Za-z0-9_.\/-]+$/

export function buildAdoptLegacy(layout: HostLayout): string {
  const old = layout.legacyRoot
  if (!old || !PLAIN.test(old) || !PLAIN.test(layout.root)) return ':'
  const q = shQuote
  return [
    `if [ ! -e ${q(layout.root)} ] && [ ! -L ${q(layout.root)} ] && [ ! -L ${q(old)} ] && [ -d ${q(old + '/revisions')} ]; then`,
    `  mkdir -p ${q(layout.root.replace(/\/[^/]+$/, '') || '/')} && mv -T ${q(old)} ${q(layout.root)} 2>/dev/null && {`,
    `    for h in ${q(layout.root)}/revisions/*/hooks/*.sh; do [ -f "$h" ] || continue; d=\${h%/hooks/*}; sed -i "s|^A=.*|A='$d/archive'|" "$h"; done`,
    `    echo ${q(`dops: adopted ${old} (deployed before dops namespaced apps by project and environment) as ${layout.root}`)} >&2`,
    '  }',
    'fi',
  ].join('\n')
}
