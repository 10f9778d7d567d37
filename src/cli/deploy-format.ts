/** Human views of a deployment: the plan before acting, the outcome after. */
import type {ChalkInstance} from 'chalk'
import type {DeployReport} from '../deploy/deploy-job.js'
import {formatMs} from '../util/duration.js'
import {colorFor, statusWord} from './format.js'
import {formatOutputTail} from './output-tail.js'

export function formatDeployPlan(c: ChalkInstance, r: DeployReport): string {
  const short = (id?: string) => (id ? id.slice(0, 12) : c.dim('none'))
  const lines = [
    `${c.bold(r.kind === 'rollback' ? 'rollback' : 'deploy')} ${r.app} to ${r.env}: revision ${r.revision.id ? c.bold(r.revision.id.slice(0, 12)) : c.dim('not built yet')} (${r.revision.source})`,
    ...(r.revision.note ? [c.yellow(`  note: ${r.revision.note}`)] : []),
    `  strategy: ${r.plan.strategy}; failure budget: ${r.plan.maxFailures}; hosts kept healthy: ${r.plan.minHealthy}`,
    `  hooks: ${r.plan.hooks.join(', ') || 'none'}${r.plan.healthCheck ? `; health gate: ${r.plan.healthCheck.http ?? r.plan.healthCheck.command}` : ''}${r.plan.traffic ? `; traffic: ${r.plan.trafficControl ?? ('group' in r.plan.traffic ? r.plan.traffic.group : `target group ${r.plan.traffic.targetGroup}`)}` : ''}`,
    `  lock: on ${r.plan.lockHost}`,
  ]
  r.plan.batches.forEach((b, i) => lines.push(`  batch ${i + 1}: ${b.map((h) => `${h.host} (${h.reachable ? `${short(h.from)} -> ${r.revision.id ? short(r.revision.id) : 'the built revision'}` : c.red('unreachable')})`).join(', ')}`))
  return lines.join('\n')
}

export function formatDeployReport(c: ChalkInstance, r: DeployReport): string {
  const word = {succeeded: c.green('succeeded'), 'failed-rolled-back': c.yellow('FAILED, rolled back'), failed: c.red('FAILED'), aborted: c.yellow('ABORTED'), planned: 'planned', 'up-to-date': 'up to date'}[r.status]
  const lines = [`deployment ${r.deploymentId} ${word} in ${formatMs(r.durationMs)}`]
  if (r.lock?.takenOverFrom) lines.push(c.yellow(`  took over an expired deploy lock of ${r.lock.takenOverFrom}`))
  for (const h of r.results) {
    lines.push(`  ${h.host}: ${statusWord(c, h)}${h.error ? ` — ${h.error}` : ''}${h.warning ? c.yellow(` (${h.warning})`) : ''}`)
    const tail = formatOutputTail(c, h.outputTail)
    if (tail) lines.push(tail)
  }
  if (r.stopped) lines.push(c.yellow(`  ${r.stopped.message}`))
  if (r.rollback) {
    lines.push(`  rollback to ${r.rollback.revision || 'the previous revision'}:${r.rollback.results.length ? '' : ' no host had changed'}`)
    for (const h of r.rollback.results) {
      lines.push(`    ${h.host}: ${statusWord(c, h)}${h.error ? ` — ${h.error}` : ''}`)
      const tail = formatOutputTail(c, h.outputTail, '      ')
      if (tail) lines.push(tail)
    }
    if (r.rollback.message) lines.push(c.red(`    ${r.rollback.message}`))
  }
  return lines.join('\n')
}

/** The outcome (or, with --plan, the plan): the command's result, on stdout (progress went to stderr). */
export function printDeployment(r: DeployReport): void {
  const c = colorFor(process.stdout)
  process.stdout.write((r.status === 'planned' ? formatDeployPlan(c, r) : formatDeployReport(c, r)) + '\n')
}
