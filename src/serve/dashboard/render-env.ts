/**
 * Server rendering of the first view: the environments with their health roll-up, last deployment and lock, then the
 * chosen environment's groups (desired vs actual, revisions, mixed flagged, health) and hosts. The page's script
 * renders the same tables again on refresh (assets/client-views.ts); the ids and classes are the same.
 */
import {duration, esc, when} from './html.js'
import type {EnvSummaryView, EnvView, EnvsView, GroupView, HistoryView, HostView} from './view-types.js'

/** A host's check older than this is greyed (stale). */
export const STALE_MS = 5 * 60_000

export type Health = 'healthy' | 'unhealthy' | 'unknown'

export function hostHealth(h: HostView): Health {
  const all = Object.values(h.health ?? {}).filter((x): x is {healthy: boolean} => !!x && typeof x === 'object')
  if (all.some((x) => x.healthy === false)) return 'unhealthy'
  return all.length && all.every((x) => x.healthy === true) ? 'healthy' : 'unknown'
}

export function groupHealth(g: GroupView): Health {
  const hs = (g.hosts ?? []).map(hostHealth)
  if (hs.includes('unhealthy')) return 'unhealthy'
  return hs.length && hs.every((x) => x === 'healthy') ? 'healthy' : 'unknown'
}

const badge = (cls: string, text: unknown) => `<span class="badge ${esc(cls)}">${esc(text)}</span>`

export function lastDeploymentCell(d: HistoryView | undefined): string {
  if (!d) return '<span class="muted">none</span>'
  return `${esc(d.app)} ${badge(`st-${d.status}`, d.status)} <code class="rev">${esc(d.revision)}</code> <span class="muted">${esc(when(d.startedAt))}</span>`
}

export function lockCell(l: {holder?: string} | undefined): string {
  return l ? `<span class="lock">locked by ${esc(l.holder ?? '?')}</span>` : '<span class="muted">free</span>'
}

function envRow(e: EnvSummaryView, current: string | undefined): string {
  const cur = e.name === current ? ' class="current"' : ''
  return `<tr data-env="${esc(e.name)}"${cur}><td class="env-name"><a href="?env=${esc(encodeURIComponent(e.name))}">${esc(e.name)}</a></td>` +
    `<td class="env-health">${badge(e.health ?? 'unknown', e.health ?? 'unknown')}</td><td class="env-groups">${esc(e.groups ?? '-')}</td>` +
    `<td class="env-hosts">${esc(e.hosts ?? '-')}</td><td class="env-last">${lastDeploymentCell(e.lastDeployment)}</td><td class="env-lock">${lockCell(e.locked)}</td></tr>`
}

export function envsRows(v: EnvsView | undefined, current: string | undefined): string {
  return (v?.envs ?? []).map((e) => envRow(e, current)).join('')
}

function appsCell(g: GroupView): string {
  return (g.apps ?? [])
    .map((a) => {
      const revs = a.revisions?.length ? a.revisions : a.revision ? [a.revision] : []
      const shown = revs.length ? revs.map((r) => `<code class="rev">${esc(r)}</code>`).join(' ') : '<span class="muted">none</span>'
      return `<div class="app" data-app="${esc(a.app)}">${esc(a.app)}: ${shown}${a.mixed ? ' ' + badge('mixed', 'mixed revisions') : ''}</div>`
    })
    .join('')
}

function groupRow(g: GroupView): string {
  const actual = g.actual ?? g.hosts?.length ?? 0
  const short = g.desired !== undefined && actual !== g.desired ? ' short' : ''
  const health = groupHealth(g)
  return `<tr data-group="${esc(g.group)}"><td class="group-name">${esc(g.group)}</td><td class="group-provider">${esc(g.provider)}</td>` +
    `<td class="group-count${short}">${esc(actual)} / ${esc(g.desired ?? '-')}</td><td class="group-apps">${appsCell(g)}</td>` +
    `<td class="group-health">${badge(health, health)}</td></tr>`
}

export function groupsRows(v: EnvView | undefined): string {
  return (v?.groups ?? []).map(groupRow).join('')
}

function labelsCell(labels: Record<string, unknown> | undefined): string {
  return Object.entries(labels ?? {})
    .filter(([k]) => k !== 'group' && k !== 'env')
    .map(([k, val]) => `<span class="label">${esc(k)}=${esc(val)}</span>`)
    .join(' ')
}

function hostRow(h: HostView, group: string, envCheckedAt: string | undefined, now: number): string {
  const revs = Object.entries(h.revisions ?? {})
    .map(([app, rev]) => `<span class="rev" data-app="${esc(app)}">${esc(rev ?? '-')}</span>`)
    .join(' ')
  const health = hostHealth(h)
  const reasons = Object.entries(h.health ?? {})
    .filter(([, x]) => x && x.reason)
    .map(([app, x]) => `${app}: ${x!.reason}`)
    .join('; ')
  const checked = h.checkedAt ?? envCheckedAt
  const stale = !checked || now - Date.parse(checked) > STALE_MS ? ' stale' : ''
  return `<tr data-host="${esc(h.name)}"><td class="host-name">${esc(h.name)}</td><td class="host-address">${esc(h.address)}</td>` +
    `<td class="host-group">${esc(h.group ?? group)}</td><td class="host-labels">${labelsCell(h.labels)}</td><td class="host-state">${esc(h.state)}</td>` +
    `<td class="host-revision">${revs}</td><td class="host-health" title="${esc(reasons)}">${badge(health, health)}</td>` +
    `<td class="host-checked${stale}">${esc(when(checked))}</td></tr>`
}

export function hostsRows(v: EnvView | undefined, now = Date.now()): string {
  return (v?.groups ?? []).flatMap((g) => (g.hosts ?? []).map((h) => hostRow(h, g.group, v?.checkedAt, now))).join('')
}

/** The line under the environment's name: when its hosts were checked, its lock, its last deployment. */
export function envMeta(v: EnvView | undefined): string {
  if (!v) return ''
  const last = v.lastDeployment ? `${lastDeploymentCell(v.lastDeployment)} (${esc(duration(v.lastDeployment.durationMs))})` : '<span class="muted">none</span>'
  return `hosts checked: ${esc(when(v.checkedAt))} · lock: ${lockCell(v.locked)} · last deployment: ${last}`
}

/** The apps of an environment (the deploy button's choices), in plan order. */
export function appsOf(v: EnvView | undefined): string[] {
  return [...new Set((v?.groups ?? []).flatMap((g) => (g.apps ?? []).map((a) => a.app)))]
}
