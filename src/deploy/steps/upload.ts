/**
 * Getting a revision onto a host: a check (the host may have it already: nothing is sent), then the bundle streamed
 * on stdin, verified by its sha256, unpacked beside its generated hook scripts, and moved into place; `complete` is
 * written last so a half-sent revision is never used.
 */
import {shQuote} from '../../transport/remote-command.js'
import type {HostLayout} from '../host-layout.js'
import {buildAdoptLegacy} from './adopt-legacy.js'

export const CHECKSUM_EXIT = 42

export function buildHasRevision(layout: HostLayout, id: string): string {
  return `${buildAdoptLegacy(layout)}\ntest -f ${shQuote(layout.revision(id) + '/complete')} && echo have || echo need`
}

/** `receive`: the line that writes `$T/bundle.tgz` (default: the bundle on stdin; `distribution: pull`: a download) */
export function buildReceiveRevision(layout: HostLayout, id: string, sha256: string, hookScripts: Record<string, string>, receive = 'cat > "$T/bundle.tgz"'): string {
  const q = shQuote
  const lines = [
    'set -e',
    'umask 022',
    `R=${q(layout.root)}; D=${q(layout.revision(id))}; T="$R/revisions/.tmp-${id}-$$"`,
    'mkdir -p "$R/revisions" "$R/logs"',
    // a receive cut short before (a full disk, a killed session) leaves nothing behind: the deploy lock is held, so
    // no other receive of this app is under way; `.<id>.<pid>` is where earlier versions of dops unpacked
    'rm -rf "$R/revisions"/.tmp-* "$R/revisions"/.????????????????.*',
    `trap 'rm -rf "$T"' EXIT`,
    `trap 'rm -rf "$T"; exit 1' HUP INT TERM PIPE`,
    'mkdir -p "$T/archive" "$T/hooks"',
    receive,
    `if ! echo ${q(sha256)}'  '"$T/bundle.tgz" | sha256sum -c --status; then echo "the revision arrived damaged (sha256 mismatch)" >&2; rm -rf "$T"; exit ${CHECKSUM_EXIT}; fi`,
    'tar -xzf "$T/bundle.tgz" -C "$T/archive"',
    'rm -f "$T/bundle.tgz"',
  ]
  for (const [event, text] of Object.entries(hookScripts)) {
    if (!/^[A-Za-z]+$/.test(event)) throw new Error(`invalid event name ${event}`)
    // as one quoted word, not a here-document: no text can end it early
    lines.push(`printf '%s' ${q(text)} > "$T/hooks/${event}.sh"`)
  }
  lines.push('rm -rf "$D"', 'mv "$T" "$D"', 'touch "$D/complete"')
  return lines.join('\n')
}
