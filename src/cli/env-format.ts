/** Human views of env plan / up / down: what changes per group, and how long each phase took. */
import path from 'node:path'
import type {ChalkInstance} from 'chalk'
import type {EnvReport} from '../env/env-job.js'
import {formatMs} from '../util/duration.js'

export function formatEnvReport(c: ChalkInstance, r: EnvReport): string {
  const lines = [`${c.bold(`env ${r.action}`)} ${r.project}/${r.env}`]
  for (const ch of r.changes) {
    const what = r.action === 'down' ? `${c.red(`-${ch.destroy.length}`)} destroyed` : `${ch.keep} kept, ${ch.create ? c.green(`+${ch.create}`) : '+0'} to create, ${ch.destroy.length ? c.red(`-${ch.destroy.length}`) : '-0'} to destroy${ch.pending ? c.yellow(`, ${ch.pending} to prepare again`) : ''}`
    lines.push(`  ${ch.group.padEnd(12)} ${ch.provider.padEnd(8)} ${what}${ch.apps.length ? `; apps: ${ch.apps.join(', ')}` : ''}${ch.ignored.length ? c.yellow(`; ignored by this provider: ${ch.ignored.join(', ')}`) : ''}`)
    for (const u of ch.updates ?? []) lines.push(`    ${r.action === 'plan' ? 'to change' : 'changed'}: ${u.startsWith('firewall +') ? c.green(u) : u.startsWith('firewall -') ? c.red(u) : u}`)
  }
  for (const b of r.bootstrap) lines.push(`  bootstrap ${b.group}: ${b.script}: ${b.ok} ok${b.failed ? c.red(`, ${b.failed} failed: ${b.errors.join('; ')}`) : ''}`)
  for (const d of r.deployments) lines.push(`  deploy ${d.app}: ${d.status}${d.deploymentId ? ` (${d.deploymentId})` : ''}`)
  for (const w of r.waits) lines.push(c.red(`  wait ${w.group}: ${w.host}: ${w.error}`))
  for (const d of r.drains) lines.push(`  drain ${d.app} on ${d.host}: ${d.status === 'ok' ? 'ok' : c.red(`${d.status}: ${d.error ?? ''}`)} (${d.events.join(', ')})`)
  for (const ev of r.events) lines.push(`  event ${ev.group}.${ev.event} -> ${ev.handlerGroup}: ${ev.ok} ok${ev.failed ? c.red(`, ${ev.failed} failed`) : ''}`)
  if (r.stopped) lines.push(c.yellow(`  ${r.stopped}`))
  if (r.journal) lines.push(c.dim(`  journal (every host's output): ${path.relative(process.cwd(), r.journal) || r.journal}`))
  if (r.action === 'plan') lines.push(r.changed ? '  apply with: dops env up' : '  no changes to hosts')
  else {
    const p = r.phases
    lines.push(`  ${r.changed ? 'done' : 'nothing to do'} in ${formatMs(p.total)} (provision ${formatMs(p.provision)}, wait ${formatMs(p.wait)}, bootstrap ${formatMs(p.bootstrap)}, deploy ${formatMs(p.deploy)}, events ${formatMs(p.events)}, drain ${formatMs(p.drain)})`)
  }
  return lines.join('\n')
}
