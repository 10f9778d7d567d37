/**
 * Release pruning on a host, run after each deployment: keep the newest `keep` revisions that deployed
 * successfully (the one `current` points to always among them, whatever its age) and the revision just deployed;
 * of the failed ones keep only the newest, as evidence. Failed revisions never count toward `keep`, so they can
 * never push a good one out (Capistrano's bug).
 */
import {shQuote} from '../../transport/remote-command.js'
import type {HostLayout} from '../host-layout.js'

export function buildPrune(layout: HostLayout, deployed: string, keep: number): string {
  const q = shQuote
  return [
    `R=${q(layout.root)}; KEEP=${Math.max(1, Math.floor(keep))}; THIS=${q(deployed)}`,
    'cd "$R/revisions" 2>/dev/null || exit 0',
    'cur=$(readlink "$R/current" 2>/dev/null); cur=${cur##*/}',
    `good=$(grep '"status":"ok"' "$R/history.jsonl" 2>/dev/null | sed -n 's/.*"revision":"\\([^"]*\\)".*/\\1/p' | sort -u)`,
    'n=0; [ -n "$cur" ] && n=1; failed_kept=',
    'for d in $(ls -1t); do',
    '  [ -f "$d/complete" ] || continue',
    '  if [ "$d" = "$cur" ] || [ "$d" = "$THIS" ]; then continue; fi',
    '  if printf "%s\\n" $good | grep -qx "$d"; then',
    '    n=$((n + 1)); if [ "$n" -gt "$KEEP" ]; then rm -rf "$d"; echo "pruned $d"; fi',
    '  elif [ -z "$failed_kept" ]; then failed_kept=$d',
    '  else rm -rf "$d"; echo "pruned $d"; fi',
    'done',
  ].join('\n')
}
