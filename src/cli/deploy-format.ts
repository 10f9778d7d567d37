/** Human views of a deployment: the plan before acting, the outcome after. */
import type {ChalkInstance} from 'chalk'
import type {DeployReport} from '../deploy/deploy-job.js'
import type {Reporter} from '../events.js'
import {formatMs} from '../util/duration.js'
import {colorFor, statusWord} from './format.js'

export function formatDeployPlan(c: ChalkInstance, r: DeployReport): string {
  const short = (id?: string) => (id ? id.slice(0, 12) : c.dim('none'))
  const lines = [
    `${c.bold(r.kind === 'rollback' ? 'rollback' : 'deploy')} ${r.app} to ${r.env}: revision ${c.bold(r.revision.id.slice(0, 12))} (${r.revision.source})`,
    `  strategy: ${r.plan.strategy}; failure budget: ${r.plan.maxFailures}; hosts kept healthy: ${r.plan.minHealthy}`,
    `  hooks: ${r.plan.hooks.join(', ') || 'none'}${r.plan.healthCheck ? `; health gate: ${r.plan.healthCheck.http ?? r.plan.healthCheck.command}` : ''}${r.plan.traffic ? `; traffic: ${r.plan.traffic.group}` : ''}`,
    `  lock: on ${r.plan.lockHost}`,
  ]
  r.plan.batches.forEach((b, i) => lines.push(`  batch ${i + 1}: ${b.map((h) => `${h.host} (${h.reachable ? `${short(h.from)} -> ${short(r.revision.id)}` : c.red('unreachable')})`).join(', ')}`))
  return lines.join('\n')
}

export function formatDeployReport(c: ChalkInstance, r: DeployReport): string {
  const word = {succeeded: c.green('succeeded'), 'failed-rolled-back': c.yellow('FAILED, rolled back'), failed: c.red('FAILED'), aborted: c.yellow('ABORTED'), planned: 'planned', 'up-to-date': 'up to date'}[r.status]
  const lines = [`deployment ${r.deploymentId} ${word} in ${formatMs(r.durationMs)}`]
  if (r.lock?.takenOverFrom) lines.push(c.yellow(`  took over an expired deploy lock of ${r.lock.takenOverFrom}`))
  for (const h of r.results) lines.push(`  ${h.host}: ${statusWord(c, h)}${h.error ? ` — ${h.error}` : ''}${h.warning ? c.yellow(` (${h.warning})`) : ''}`)
  if (r.stopped) lines.push(c.yellow(`  ${r.stopped.message}`))
  if (r.rollback) {
    lines.push(`  rollback to ${r.rollback.revision || 'the previous revision'}:${r.rollback.results.length ? '' : ' no host had changed'}`)
    for (const h of r.rollback.results) lines.push(`    ${h.host}: ${statusWord(c, h)}${h.error ? ` — ${h.error}` : ''}`)
    if (r.rollback.message) lines.push(c.red(`    ${r.rollback.message}`))
  }
  return lines.join('\n')
}

/** The outcome (or, with --plan, the plan) on stderr; stdout stays for --json. */
export function printDeployment(r: DeployReport): void {
  const c = colorFor(process.stderr)
  process.stderr.write((r.status === 'planned' ? formatDeployPlan(c, r) : formatDeployReport(c, r)) + '\n')
}

/** Print the plan the moment it is known, before any host changes; pass everything else on. */
export function withPlanPrinter(reporter: Reporter): Reporter {
  return (e) => {
    if (e.type === 'deploy.plan') process.stderr.write(formatDeployPlan(colorFor(process.stderr), e.report) + '\n')
    else reporter(e)
  }
}
