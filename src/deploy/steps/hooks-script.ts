/**
 * The script that runs one revision's scripts for one lifecycle event on a host, generated when the revision is
 * uploaded, so a later deployment can run this revision's ApplicationStop without reading its appspec.
 * Each script: from `/`, stdin closed, its own process group killed at its deadline (timeout -k), as `runas`
 * through su; the first failure ends the event with the script's exit status (124/137: timed out).
 */
import {shQuote} from '../../transport/remote-command.js'
import type {HookScript} from '../appspec/types.js'
import {assertOneLine} from './install-script.js'
import {MARKER} from './markers.js'

export function buildHookScript(event: string, archive: string, scripts: HookScript[]): string {
  const lines = [
    '#!/bin/sh',
    `# dops: ${event} scripts of this revision`,
    `A=${shQuote(archive)}`,
    `LIFECYCLE_EVENT=${shQuote(event)}; export LIFECYCLE_EVENT`,
    'now() { date +%s%3N 2>/dev/null || date +%s000; }',
  ]
  for (const s of scripts) {
    assertOneLine(s.location, `the ${event} script location`)
    const loc = shQuote(s.location)
    const run = s.runas ? `su -s /bin/sh -c 'exec "$0"' ${shQuote(s.runas)} "$A"/${loc}` : `"$A"/${loc}`
    lines.push(
      `printf '%s script-start %s %s\\n' ${shQuote(MARKER)} "$LIFECYCLE_EVENT" ${loc}`,
      't0=$(now)',
      `if [ ! -f "$A"/${loc} ]; then echo "Script does not exist at specified location: $A/"${loc} >&2; rc=1`,
      `else [ -x "$A"/${loc} ] || chmod +x "$A"/${loc}; (cd / && exec timeout -k 5 ${s.timeoutSec} ${run} </dev/null); rc=$?; fi`,
      `printf '%s script-end %s %s %s %s\\n' ${shQuote(MARKER)} "$LIFECYCLE_EVENT" "$rc" "$(($(now) - t0))" ${loc}`,
      '[ "$rc" -eq 0 ] || exit "$rc"',
    )
  }
  lines.push('exit 0', '')
  return lines.join('\n')
}
