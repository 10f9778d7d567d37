/**
 * The decision for one firing alert (pure): which environment, group and host it is about, then the guards in order,
 * the first that holds suppressing the action with its reason. Inputs are what dops knows now: the environment as
 * the plan and state say, the alerts firing at this moment, and the decisions already taken (the journal).
 */
import type {AlertPolicy} from '../plan/types.js'
import {countOf} from './settings.js'
import type {ActionKind, AlertIn, Decision, EnvView} from './types.js'

export interface DecideInput {
  alert: AlertIn
  /** the environment the alert's `env` label names, when dops has it */
  view: EnvView | undefined
  /** hosts alerting now in each group of that environment (every alert name) */
  alerting: Record<string, Set<string>>
  /** earlier decisions of this environment, oldest first */
  history: Decision[]
  /** decisions whose job has not ended (a replace in flight) */
  inFlight: Decision[]
  now: number
}

/** What to do: act (with the action and its parameters), or not (why, and which guard). */
export type Verdict =
  | {act: true; dryRun: boolean; action: ActionKind; asked?: ActionKind; env: string; group: string; host?: string; params: Record<string, unknown>; reason: string}
  | {act: false; outcome: 'ignored' | 'suppressed'; guard: string; reason: string; env?: string; group?: string; host?: string; action?: ActionKind}

/** times one alert may begin within the cooldown before it counts as flapping */
export const FLAP_EPISODES = 3

/** The key a delivery is deduplicated on: the same alert (fingerprint) of the same episode (startsAt). */
export const dedupeKey = (a: Pick<AlertIn, 'fingerprint' | 'startsAt'>) => `${a.fingerprint}@${a.startsAt}`

const acted = (d: Decision) => d.outcome === 'acted'

export function decide(i: DecideInput): Verdict {
  const a = i.alert
  const no = (outcome: 'ignored' | 'suppressed', guard: string, reason: string, extra: Partial<Verdict> = {}): Verdict => ({act: false, outcome, guard, reason, ...extra}) as Verdict
  if (a.status === 'resolved') return no('ignored', 'resolved', 'the alert is resolved')
  // a delivery again (retry, repeat, HA duplicate) of an alert already acted on; one a guard stopped is decided again
  const first = i.history.find((d) => d.fingerprint === a.fingerprint && d.startsAt === a.startsAt && !d.of && (d.outcome === 'acted' || d.outcome === 'dry-run'))
  if (first) return no('suppressed', 'dedupe', `already decided for this alert (fingerprint ${a.fingerprint}, started ${a.startsAt}): decision ${first.id}, ${first.outcome}`)
  const v = i.view
  if (!v) return no('ignored', 'unknown-env', `no environment \`${a.labels.env ?? '(no env label)'}\` in this project's plan`)
  if (a.labels.project !== undefined && a.labels.project !== v.project) return no('ignored', 'other-project', `the alert is for project ${a.labels.project}, not ${v.project}`)
  const group = a.labels.group
  const g = group === undefined ? undefined : v.groups[group]
  const at = {env: v.env, group}
  if (!g) return no('ignored', 'unknown-group', group === undefined ? 'the alert has no `group` label' : `no group \`${group}\` in environment ${v.env}`, at)
  const policy: AlertPolicy | undefined = g.policies[a.name]
  if (!policy) return no('ignored', 'no-policy', `group ${group} has no policy for alert ${a.name} (on.alert.${a.name})`, at)
  const host = a.labels.host
  const on = {...at, host, action: policy.action}
  const perHost = policy.action === 'restart' || policy.action === 'replace'
  const h = host === undefined ? undefined : g.hosts.find((x) => x.name === host)
  if (perHost && host === undefined) return no('ignored', 'no-host', `${policy.action} acts on one host and the alert has no \`host\` label`, on)
  if (host !== undefined && !h) return no('suppressed', 'unknown-host', `host ${host} is not in group ${group} of the state (gone or already replaced)`, on)
  if (h && Date.parse(a.startsAt) < Date.parse(h.createdAt)) return no('suppressed', 'stale', `the alert started (${a.startsAt}) before host ${host} was created (${h.createdAt}): it was about an earlier host of that name`, on)
  if (v.automation.paused) return no('suppressed', 'paused', `automation is paused in environment ${v.env}`, on)
  const s = v.automation
  // flapping: the same alert (fingerprint) began FLAP_EPISODES times within the cooldown: a restart loop in the making
  const episodes = new Set(i.history.filter((d) => d.fingerprint === a.fingerprint && i.now - Date.parse(d.at) < s.cooldownMs).map((d) => d.startsAt)).add(a.startsAt)
  if (episodes.size >= FLAP_EPISODES) return no('suppressed', 'flapping', `flapping: alert ${a.name} began ${episodes.size} times within ${s.cooldownMs / 1000}s; acting on none of them until it settles`, on)
  // hosts of the group (as the state has them) alerting now; a storm takes two at least (a group of one is recovered): an alert whose resolve was lost never counts for a host that is gone
  const alertingHere = new Set([...(i.alerting[group!] ?? [])].filter((n) => g.hosts.some((x) => x.name === n)))
  if (perHost && alertingHere.size >= 2 && (alertingHere.size * 100) / g.hosts.length > s.storm) return no('suppressed', 'storm', `storm: ${alertingHere.size} of ${g.hosts.length} hosts of ${group} alert at once (more than ${s.storm}%): the monitor or the network is the likely fault; acting on none`, on)
  // a young host's own trouble waits; a group's load (scale) does not
  const young = h && policy.action !== 'scale'
  if (young && i.now - Date.parse(h.createdAt) < s.graceMs) return no('suppressed', 'grace', `host ${host} is ${Math.round((i.now - Date.parse(h.createdAt)) / 1000)}s old, younger than the grace period (${s.graceMs / 1000}s)`, on)
  if (young && h.deployedAt && i.now - Date.parse(h.deployedAt) < s.graceMs) return no('suppressed', 'grace', `host ${host} was deployed to ${Math.round((i.now - Date.parse(h.deployedAt)) / 1000)}s ago, within the grace period (${s.graceMs / 1000}s)`, on)
  const mine = i.history.filter((d) => acted(d) && d.group === group)
  // what a cooldown is about: the host, or the group for a scale (a load alert of each host is one group's load)
  const subjectOf = (action: ActionKind | undefined, h?: string) => (action === 'scale' || h === undefined ? `group:${group}` : h)
  const subject = subjectOf(policy.action, host)
  const last = mine.filter((d) => subjectOf(d.action, d.host) === subject).at(-1)
  if (last && i.now - Date.parse(last.at) < s.cooldownMs) return no('suppressed', 'cooldown', `${subject.startsWith('group:') ? `group ${group}` : `host ${host}`} was acted on ${Math.round((i.now - Date.parse(last.at)) / 1000)}s ago (${last.action}, decision ${last.id}); cooldown ${s.cooldownMs / 1000}s`, on)
  let action: ActionKind = policy.action
  let reason = `alert ${a.name} on ${host ?? group}: ${action}`
  const within = (kind: ActionKind, ms: number) => mine.filter((d) => d.host === host && d.action === kind && i.now - Date.parse(d.at) < ms).length
  if (action === 'restart' && within('restart', s.restartWindowMs) >= s.restarts) {
    action = 'replace'
    reason = `ladder: host ${host} was restarted ${s.restarts} time(s) within ${s.restartWindowMs / 60_000}m; replacing it`
  }
  if (action === 'replace' && within('replace', s.replaceWindowMs) >= s.replaces) return no('suppressed', 'ladder', `ladder: host ${host} was replaced ${s.replaces} time(s) within ${s.replaceWindowMs / 60_000}m; dops stops here, a person should look`, on)
  if (action === 'replace' && g.static) return no('suppressed', 'static', `group ${group} has static hosts: dops cannot replace ${host}`, on)
  if (perHost) {
    const flying = i.inFlight.find((d) => d.group === group && d.action === 'replace')
    if (action === 'replace' && flying) return no('suppressed', 'in-flight', `a replace in group ${group} is in flight (decision ${flying.id}, host ${flying.host}): at most one at a time`, on)
    const budget = countOf(s.budget, g.hosts.length, 1)
    const used = mine.filter((d) => (d.action === 'restart' || d.action === 'replace') && i.now - Date.parse(d.at) < s.budgetWindowMs).length
    if (used >= budget) return no('suppressed', 'budget', `budget: ${used} host(s) of ${group} acted on within ${s.budgetWindowMs / 60_000}m, at most ${budget}`, on)
  }
  const params: Record<string, unknown> = {group, ...(host ? {host} : {}), alert: a.name, fingerprint: a.fingerprint, startsAt: a.startsAt}
  if (action === 'scale') {
    const now = g.hosts.length
    const to = now + (policy.by === '-1' ? -1 : 1)
    if (g.static) return no('suppressed', 'static', `group ${group} has static hosts: dops does not scale it`, on)
    if (g.max !== undefined && to > g.max) return no('suppressed', 'bounds', `group ${group} has ${now} host(s), its autoScaling.max`, on)
    const floor = Math.max(g.min ?? 0, countOf(s.minHealthy, now))
    if (to < now && to < floor) return no('suppressed', 'min-healthy', `scaling ${group} to ${to} would go below its minimum (${floor})`, on)
    params.groups = {[group!]: to}
    reason = `alert ${a.name}: scale ${group} ${now} -> ${to}`
  }
  if (action === 'restart') params.app = policy.app ?? g.apps[0]
  if (action === 'run') {
    params.script = policy.script
    params.env = Object.fromEntries(Object.entries(a.labels).map(([k, val]) => [`ALERT_${k.toUpperCase().replace(/[^A-Z0-9_]/g, '_')}`, val]))
  }
  return {act: true, dryRun: s.dryRun, action, ...(action !== policy.action ? {asked: policy.action} : {}), env: v.env, group: group!, host, params, reason}
}
