/**
 * The per-host deployment driver: a POSIX sh script sent on stdin (`sh -s`), so environment values (secrets
 * included) never appear on a command line. It runs lifecycle steps in order, each event's scripts from the right
 * revision (the previous one for ApplicationStop, BeforeBlockTraffic and AfterBlockTraffic, as the agent does),
 * the Install fragment, and the atomic switch of `current`, reporting with marker lines.
 */
import {shQuote} from '../../transport/remote-command.js'
import type {HostLayout} from '../host-layout.js'
import {buildAdoptLegacy} from './adopt-legacy.js'
import {MARKER} from './markers.js'

export type DriverStep = {event: string; from: 'current' | 'previous'} | {install: string}

export interface DriverOptions {
  layout: HostLayout
  revision: string
  env: Record<string, string>
  steps: DriverStep[]
  /** go on when a previous-revision event (ApplicationStop, ...) fails */
  ignoreStopFailures?: boolean
}

export function buildDriver(o: DriverOptions): string {
  const q = shQuote
  const m = q(MARKER)
  const lines = [
    'set -u',
    `R=${q(o.layout.root)}; ID=${q(o.revision)}; NEWREV="$R/revisions/$ID"`,
    // the hooks' environment, set in each hook's own subshell, so a variable named like one of the driver's (R, f, rc)
    // cannot change what the driver does
    'dops_env() {',
    '  :',
    ...Object.entries(o.env).map(([k, v]) => {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new Error(`invalid environment variable name: ${k}`)
      return `  ${k}=${q(v)}; export ${k}`
    }),
    '}',
    buildAdoptLegacy(o.layout),
    'PREV=$(readlink "$R/current" 2>/dev/null); PREV=${PREV##*/}',
    `[ -n "$PREV" ] && printf '%s previous %s\\n' ${m} "$PREV"`,
    'run_event() {',
    '  e=$1; from=$2',
    '  if [ "$from" = previous ]; then',
    `    if [ -z "$PREV" ]; then printf '%s event-skip %s no previous revision\\n' ${m} "$e"; return 0; fi`,
    '    f="$R/revisions/$PREV/hooks/$e.sh"',
    '  else f="$NEWREV/hooks/$e.sh"; fi',
    `  if [ ! -f "$f" ]; then printf '%s event-skip %s no scripts\\n' ${m} "$e"; return 0; fi`,
    `  printf '%s event-start %s %s\\n' ${m} "$e" "$from"`,
    '  DOPS__f=$f; (dops_env; exec sh "$DOPS__f") </dev/null; rc=$?',
    `  printf '%s event-end %s %s\\n' ${m} "$e" "$rc"`,
    '  return $rc',
    '}',
  ]
  for (const step of o.steps) {
    if ('install' in step) {
      lines.push(
        `printf '%s event-start Install current\\n' ${m}`,
        `( ${step.install}\n ) </dev/null; rc=$?`,
        `printf '%s event-end Install %s\\n' ${m} "$rc"`,
        '[ "$rc" -eq 0 ] || exit "$rc"',
        // the atomic switch: rename a new symlink over the old one (never rm + ln)
        'ln -sfn "revisions/$ID" "$R/current.tmp" && mv -T "$R/current.tmp" "$R/current" || exit 1',
        'PREV=$ID',
      )
    } else if (step.from === 'previous') {
      const onFail = o.ignoreStopFailures ? `printf '%s ignored %s %s\\n' ${m} ${q(step.event)} "$rc"` : 'exit "$rc"'
      lines.push(`run_event ${q(step.event)} previous; rc=$?; if [ "$rc" -ne 0 ]; then ${onFail}; fi`)
    } else {
      lines.push(`run_event ${q(step.event)} current || exit $?`)
    }
  }
  lines.push('exit 0', '')
  return lines.join('\n')
}
