/** The `hooks` section: event names (case and spelling checked), scripts, timeouts, runas. */
import {closest} from '../../plan/suggest.js'
import type {PathSegment} from '../../plan/yaml-source.js'
import {bundleRelative, controlCharIn, showPath} from './paths.js'
import type {SectionContext} from './permissions.js'
import {DEFAULT_HOOK_TIMEOUT_SEC, MAX_EVENT_TIMEOUT_SEC, RESERVED_EVENTS, SCRIPTED_EVENTS, type Appspec, type HookScript, type ScriptedEvent} from './types.js'

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const SCRIPT_KEYS = ['location', 'timeout', 'runas', 'sudo']

function parseTimeout(v: unknown, at: PathSegment[], cx: SectionContext): number | undefined {
  if (v === undefined || v === null) return DEFAULT_HOOK_TIMEOUT_SEC
  const invalid = 'an invalid timeout value was provided for a script; use a whole number of seconds greater than 0'
  if (typeof v === 'number') {
    if (Number.isInteger(v) && v > 0) return v
    const n = Math.trunc(v)
    if (n <= 0) return cx.err(at, invalid), undefined
    cx.footgun(at, `timeout ${v} is not a whole number; the agent truncates it to ${n}`)
    return n
  }
  if (typeof v === 'string') {
    const m = /^\s*(\d+)/.exec(v)
    const n = m ? Number(m[1]) : 0
    if (n <= 0) return cx.err(at, invalid), undefined
    cx.footgun(at, `timeout \`${v}\` is a string; the agent reads it as ${n} seconds; write timeout: ${n}`)
    return n
  }
  cx.err(at, invalid)
  return undefined
}

export function parseHooks(value: unknown, cx: SectionContext): Appspec['hooks'] {
  if (value === null || value === undefined) return {}
  if (!isObj(value)) {
    cx.err(['hooks'], 'hooks must be a mapping of lifecycle events to lists of scripts (hooks: {AfterInstall: [{location: scripts/x.sh}]})')
    return {}
  }
  const hooks: Appspec['hooks'] = {}
  for (const [event, scripts] of Object.entries(value)) {
    const at = ['hooks', event]
    let target: ScriptedEvent | undefined = (SCRIPTED_EVENTS as readonly string[]).includes(event) ? (event as ScriptedEvent) : undefined
    if (!target) {
      if ((RESERVED_EVENTS as readonly string[]).includes(event)) cx.footgun(at, `${event} is performed by the deployment itself; scripts listed under it never run`, true)
      else {
        const guess = closest(event, SCRIPTED_EVENTS)
        const caseOnly = SCRIPTED_EVENTS.find((e) => e.toLowerCase() === event.toLowerCase())
        cx.footgun(at, `unknown lifecycle event \`${event}\`${caseOnly || guess ? `; did you mean \`${caseOnly ?? guess}\`?` : ''} (event names are case-sensitive; scripts under an unknown event never run)`, true)
      }
    }
    if (scripts === null) continue
    if (!Array.isArray(scripts)) {
      cx.err(at, `the scripts of ${event} must be a list (- location: scripts/x.sh)`)
      continue
    }
    const list: HookScript[] = []
    scripts.forEach((s: unknown, i) => {
      const sat = [...at, i]
      if (!isObj(s)) return cx.err(sat, typeof s === 'string' ? `a script must be a mapping: write \`- location: ${s}\`` : 'a script must be a mapping with `location`')
      for (const k of Object.keys(s)) if (!SCRIPT_KEYS.includes(k)) cx.warn([...sat, k], `unknown key \`${k}\` in a script is ignored (keys: ${SCRIPT_KEYS.join(', ')})`, true)
      const raw = typeof s.location === 'string' ? s.location.trim() : ''
      if (!raw) return cx.err(sat, 'the application specification file specifies a script with no location value')
      const ctl = controlCharIn(raw)
      if (ctl) return cx.err([...sat, 'location'], `location \`${showPath(raw)}\` contains ${ctl}; paths may not contain control characters`)
      if (/\s/.test(raw)) cx.warn([...sat, 'location'], `location \`${raw}\` contains a space: locations take no arguments, so this is one file name`)
      const location = bundleRelative(raw)
      if (location === undefined || location === '') return cx.err([...sat, 'location'], `location \`${raw}\` escapes the revision; it must be a path inside the bundle`)
      const timeoutSec = parseTimeout(s.timeout, [...sat, 'timeout'], cx)
      if (timeoutSec === undefined) return
      let runas: string | undefined
      if (s.runas !== undefined && s.runas !== null) {
        if (typeof s.runas !== 'string') return cx.err([...sat, 'runas'], 'runas must be a user name')
        runas = s.runas.trim() || undefined
        if (!runas) cx.warn([...sat, 'runas'], 'runas is empty; the script runs as the login user')
      }
      if (s.sudo !== undefined && typeof s.sudo !== 'boolean') return cx.err([...sat, 'sudo'], 'sudo must be true or false')
      list.push({location, timeoutSec, timeoutGiven: s.timeout !== undefined && s.timeout !== null, runas, sudo: s.sudo as boolean | undefined})
    })
    // only timeouts written in the file count: the user guide's own example lists two scripts without timeouts
    // under one event, and a missing timeout is each script's own limit (3600 s), not a claim on the event's hour
    const total = list.reduce((n, s) => n + (s.timeoutGiven ? s.timeoutSec : 0), 0)
    if (total > MAX_EVENT_TIMEOUT_SEC) cx.footgun(at, `the timeouts of ${event} add up to ${total}s; one lifecycle event may take at most ${MAX_EVENT_TIMEOUT_SEC}s`, true)
    if (target) hooks[target] = [...(hooks[target] ?? []), ...list]
  }
  return hooks
}
