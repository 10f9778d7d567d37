/** The summary of `dops env restore` on stderr: what was restored, each phase's time, the recovery time, what failed. */
import type {ChalkInstance} from 'chalk'
import type {RestorePhases, RestoreReport} from '../env/restore.js'
import {formatMs} from '../util/duration.js'

const PHASES: Array<[keyof RestorePhases, string]> = [
  ['check', 'check'],
  ['plan', 'plan'],
  ['provision', 'provision'],
  ['bootstrap', 'bootstrap'],
  ['hooks', 'restore hooks'],
  ['deploy', 'deploy'],
  ['events', 'events'],
  ['verify', 'verify'],
  ['teardown', 'teardown'],
]

export function formatRestore(c: ChalkInstance, r: RestoreReport): string {
  const lines = [
    `${r.drill ? 'drill: ' : ''}${r.env} restored from ${r.source}: ${Object.entries(r.counts).map(([g, n]) => `${g}=${n}${r.countsFrom[g] === 'plan' ? ' (plan)' : ''}`).join(' ') || 'no provider-made group'}`,
    ...r.revisions.map((v) => `  ${v.app}: revision ${v.id} (deployment ${v.deploymentId} of ${r.source}${v.cached ? '' : `, from ${v.origin}`})`),
    ...r.hooks.map((h) => `  restore hook ${h.name} on ${h.group}: ${h.ok} ok, ${h.failed} failed (${formatMs(h.ms)})`),
    `  phases: ${PHASES.filter(([k]) => k !== 'teardown' || r.drill).map(([k, label]) => `${label} ${formatMs(r.phases[k] ?? 0)}`).join(', ')}`,
    r.phases.recovery !== undefined ? c.green(`  recovery time: ${formatMs(r.phases.recovery)} (start to every health gate green)`) : c.red('  not recovered: not every health gate is green'),
    ...(r.teardown ? [`  teardown: ${r.teardown.left.length ? c.red(`left ${r.teardown.left.join(', ')}`) : `nothing left (${[...(r.teardown.down?.removed ?? []), ...r.teardown.removed].length} thing(s) removed)`}`] : []),
    ...(r.error ? [c.red(`  ${r.error}`)] : []),
    `  total: ${formatMs(r.phases.total)}`,
  ]
  return lines.join('\n')
}
