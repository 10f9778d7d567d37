/** Human views of env plan / up / down: the steps, what changed per group, failures with their output, timings. */
import path from 'node:path'
import type {ChalkInstance} from 'chalk'
import type {EnvReport, EnvStep, HostRun} from '../env/env-job.js'
import type {Outdated} from '../providers/types.js'
import {formatMs} from '../util/duration.js'
import {formatTable, indent} from './table.js'

const list = (hosts: string[], more = 0) => [...hosts, ...(more ? [`${more} new`] : [])].join(', ')

/** One replaced host with why: `web-2 (size t3.small -> t3.medium)`. */
const replaced = (r: Outdated) => `${r.name}${r.why.length ? ` (${r.why.join(', ')})` : ''}`

/** One planned step, as `env plan` and `--dry-run` show it; a replacement batch's steps say which batch. */
export function formatStep(c: ChalkInstance, s: EnvStep): string {
  const text = stepText(c, s)
  if (!('batch' in s) || !s.batch) return text
  const b = s.batch
  // the batch's first step names the hosts it replaces and why
  return s.kind === 'create' ? c.yellow(`replace ${b.replacing.map(replaced).join(', ')}`) + ` [batch ${b.n}/${b.of}]: ${text}` : `[${b.group} batch ${b.n}/${b.of}] ${text}`
}

function stepText(c: ChalkInstance, s: EnvStep): string {
  switch (s.kind) {
    case 'start':
      return c.green(`start ${s.group}: ${s.hosts.map((h) => `${h} (stopped)`).join(', ')}`)
    case 'announce':
      return s.event === 'hostsLeft' ? `announce ${s.group}.hostsLeft: ${list(s.hosts)}${s.gone ? ' (gone)' : ''}` : `announce ${s.group}.hostsJoined: ${list(s.hosts, s.new)}`
    case 'drain':
      return `drain the apps on ${s.group}: ${list(s.hosts)}`
    case 'destroy':
      return c.red(`destroy ${s.hosts.length} host(s) of ${s.group}: ${list(s.hosts)}`)
    case 'forget':
      return c.yellow(`forget ${s.group}: ${list(s.hosts)} (gone outside dops)`)
    case 'create':
      return c.green(`create ${s.count} host(s) in ${s.group}`)
    case 'adopt':
      return c.green(`adopt into ${s.group}: ${list(s.hosts)}`)
    case 'update':
      return `update ${s.group}: ${s.settings.map((u) => (u.startsWith('firewall +') ? c.green(u) : u.startsWith('firewall -') ? c.red(u) : u)).join('; ')}`
    case 'prepare':
      return `prepare ${s.group} (wait for SSH, bootstrap): ${list(s.hosts, s.new)}`
    case 'join': {
      const parts = [...(s.hosts.length ? [c.green(`join ${s.group} (static hosts; recorded${s.bootstrap ? ', bootstrapped' : ''}, nothing created): ${list(s.hosts)}`)] : []), ...(s.again.length ? [c.yellow(`bootstrap ${s.group} again (its bootstrap changed): ${list(s.again)}`)] : [])]
      return parts.join('; ')
    }
    case 'resources':
      // one line per change, under the step's number
      return s.changes.flatMap((ch) => ch.lines.map((l) => `${ch.key}: ${l.startsWith('+') ? c.green(l) : l.startsWith('-') ? c.red(l) : l.startsWith('~') ? c.yellow(l) : l}`)).join('\n       ')
    case 'leave':
      return c.yellow(`leave ${s.group} (static hosts no longer in the plan; dropped from the state, nothing is run on or removed from them): ${list(s.hosts)}`)
    case 'deploy': {
      const rev = `${s.revision.id ?? 'the working tree'}${s.revision.source !== 'working tree' ? ` (kept since ${s.revision.source === 'rollback' ? 'rollback' : 'deployment'} ${s.revision.deploymentId ?? ''})` : ''}`
      const where = [...(s.behind ?? []), ...(s.newHosts ? ['new and prepared hosts'] : [])]
      if (s.batch) return `deploy ${s.app} ${rev} to the batch's new hosts (all at once: the hosts they replace still serve)`
      if (s.behind === undefined) return `deploy ${s.app} ${rev} where a host does not run it${s.newHosts ? ' (new and prepared hosts)' : ''}`
      return where.length ? `deploy ${s.app} ${rev} to ${where.join(', ')}` : c.dim(`deploy ${s.app}: every host runs ${rev}`)
    }
  }
}

/** The last lines of a failed host's output, indented under its failure line. */
export function outputTail(c: ChalkInstance, h: HostRun, lines = 5): string[] {
  const out: string[] = []
  for (const [name, text] of [['stderr', h.stderr], ['stdout', h.stdout]] as const) {
    const tail = text.trimEnd().split('\n').filter(Boolean).slice(-lines)
    if (tail.length) out.push(c.dim(`      ${name}:`), ...tail.map((l) => c.dim(`        ${l}`)))
  }
  return out
}

function failures(c: ChalkInstance, hosts: HostRun[]): string[] {
  return hosts.filter((h) => h.status !== 'ok').flatMap((h) => [c.red(`    ${h.host}: ${h.status}${h.exitCode !== null ? ` (exit ${h.exitCode})` : ''}${h.error ? `: ${h.error}` : ''}`), ...outputTail(c, h)])
}

/** `stream` is where it is printed: the table fits that terminal's width. */
export function formatEnvReport(c: ChalkInstance, r: EnvReport, stream: NodeJS.WriteStream = process.stdout): string {
  const lines = [`${c.bold(r.command ?? `env ${r.action}`)} ${r.project}/${r.env}${r.dryRun && (r.action !== 'plan' || (r.command ?? 'env plan') !== 'env plan') ? ' (dry run: nothing was changed)' : ''}`]
  const rows = r.changes.map((ch) => {
    const st = ch.static
    if (st) {
      const down = r.action === 'down' ? `${ch.keep} static, left as they are` : `${ch.keep} static (never created or destroyed)${st.joining.length ? c.green(`, ${st.joining.length} to join`) : ''}${st.again.length ? c.yellow(`, ${st.again.length} to bootstrap again`) : ''}${st.leaving.length ? c.yellow(`, ${st.leaving.length} to leave`) : ''}`
      return [ch.group, ch.provider, `${down}${ch.apps.length ? `; apps: ${ch.apps.join(', ')}` : ''}${ch.ignored.length ? c.yellow(`; ignored for static hosts: ${ch.ignored.join(', ')}`) : ''}`]
    }
    const more = [
      ...(ch.replace?.length ? [c.yellow(`${ch.replace.length} to replace (batches of ${ch.replaceBatch ?? 1}, new hosts first)`)] : []),
      ...(ch.start?.length ? [c.green(`${ch.start.length} stopped to start`)] : []),
      ...(ch.pending ? [c.yellow(`${ch.pending} to prepare again`)] : []),
      ...(ch.gone?.length ? [c.yellow(`gone (forgotten): ${ch.gone.join(', ')}`)] : []),
    ]
    const what = r.action === 'down' ? `${c.red(`-${ch.destroy.length}`)} destroyed` : [`${ch.keep} kept, ${ch.create ? c.green(`+${ch.create}`) : '+0'} to create, ${ch.destroy.length ? c.red(`-${ch.destroy.length}`) : '-0'} to destroy`, ...more].join(', ')
    return [ch.group, ch.provider, `${what}${ch.apps.length ? `; apps: ${ch.apps.join(', ')}` : ''}${ch.ignored.length ? c.yellow(`; ignored by this provider: ${ch.ignored.join(', ')}`) : ''}`]
  })
  if (rows.length) lines.push(indent(formatTable(['GROUP', 'PROVIDER', 'HOSTS'], rows, stream, 2), 2))
  if (r.action !== 'plan' && !r.dryRun) for (const ch of r.changes) for (const u of ch.updates ?? []) lines.push(`  changed ${ch.group}: ${u}`)
  if (r.action !== 'plan' && !r.dryRun) for (const s of r.steps) if (s.kind === 'resources') for (const ch of s.changes) for (const l of ch.lines) lines.push(`  changed ${ch.key}: ${l}`)
  for (const x of r.resources ?? []) lines.push(c.yellow(`  ${x.key}: ignored by its provider: ${x.ignored.join(', ')}`))
  if (r.action === 'up' && !r.dryRun && !r.stopped && !r.exitCode) for (const ch of r.changes) if (ch.replace?.length) lines.push(`  replaced in ${ch.group}: ${ch.replace.map(replaced).join(', ')}`)
  if (r.dryRun) {
    lines.push(r.steps.length ? '  steps:' : '  steps: none')
    r.steps.forEach((s, i) => lines.push(`  ${String(i + 1).padStart(3)}. ${formatStep(c, s)}`))
  }
  for (const b of r.bootstrap) lines.push(`  bootstrap ${b.group}: ${b.script}: ${b.ok} ok${b.failed ? c.red(`, ${b.failed} failed`) : ''}`, ...failures(c, b.hosts))
  for (const d of r.deployments) lines.push(`  deploy ${d.app}: ${d.exitCode ? c.red(d.status) : d.status}${d.deploymentId ? ` (${d.deploymentId})` : ''}${d.exitCode && d.record ? c.red(`; every host's hooks and output: ${path.relative(process.cwd(), d.record) || d.record}`) : ''}`, ...failures(c, d.failed ?? []))
  for (const w of r.waits) lines.push(c.red(`  wait ${w.group}: ${w.host}: ${w.error}`))
  for (const d of r.drains) lines.push(`  drain ${d.app} on ${d.host}: ${d.status === 'ok' ? 'ok' : c.red(`${d.status}: ${d.error ?? ''}`)} (${d.events.join(', ')})`)
  for (const ev of r.events) lines.push(`  event ${ev.group}.${ev.event} -> ${ev.handlerGroup}: ${ev.ok} ok${ev.failed ? c.red(`, ${ev.failed} failed`) : ''}`, ...failures(c, ev.hosts))
  for (const u of r.untouched ?? []) lines.push(`  ${u.group}: static host(s) left as they are (never destroyed, nothing run on them): ${u.hosts.join(', ')}`)
  if (r.stopped) lines.push(c.yellow(`  ${r.stopped}`))
  if (r.journal) lines.push(c.dim(`  journal (every host's output, and where each deployment's record is): ${path.relative(process.cwd(), r.journal) || r.journal}`))
  if (r.dryRun) lines.push(r.changed ? `  apply with: dops ${r.command && r.command !== 'env plan' ? r.command : 'env up'}` : '  no changes')
  else {
    const p = r.phases
    lines.push(`  ${r.changed ? 'done' : 'nothing to do'} in ${formatMs(p.total)} (provision ${formatMs(p.provision)}, wait ${formatMs(p.wait)}, bootstrap ${formatMs(p.bootstrap)}, deploy ${formatMs(p.deploy)}, events ${formatMs(p.events)}, drain ${formatMs(p.drain)})`)
  }
  return lines.join('\n')
}
