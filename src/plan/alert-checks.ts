/**
 * Checks of the groups' alert policies (`on.alert.NAME`) the schema cannot express: a restart names an app of the
 * group (or the group has exactly one), a run names a project script that exists, a scale acts on a group a provider
 * makes (not static hosts).
 */
import {existsSync} from 'node:fs'
import path from 'node:path'
import type {Plan} from './types.js'
import type {At} from './schedule-checks.js'

const obj = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {})

export function checkAlertPolicies(plan: Plan, at: At, planDir?: string): void {
  for (const [envName, env] of Object.entries(obj(plan.environments))) {
    for (const [gName, gRaw] of Object.entries(obj(obj(env).groups))) {
      const g = obj(gRaw)
      const apps = Array.isArray(g.apps) ? g.apps.filter((a): a is string => typeof a === 'string') : []
      for (const [alert, pRaw] of Object.entries(obj(obj(g.on).alert))) {
        const p = obj(pRaw)
        const base = ['environments', envName, 'groups', gName, 'on', 'alert', alert]
        if (p.action === 'restart') {
          if (typeof p.app === 'string' && !apps.includes(p.app)) at([...base, 'app'], `app \`${p.app}\` is not an app of group ${gName}`, apps.length ? `the group's apps: ${apps.join(', ')}` : 'the group has no apps')
          else if (p.app === undefined && apps.length !== 1) at([...base, 'action'], `restart restarts an app of the group, and group ${gName} has ${apps.length ? `several (${apps.join(', ')}): name one with \`app\`` : 'none'}`)
        }
        if (p.action === 'run') {
          if (typeof p.script !== 'string') at([...base, 'action'], 'run needs `script`: a script of the project, run on the alerting host')
          else if (planDir && !existsSync(path.resolve(planDir, p.script))) at([...base, 'script'], `script \`${p.script}\` does not exist (relative to the plan's directory ${planDir})`)
        }
        if (p.action !== 'run' && p.script !== undefined) at([...base, 'script'], `\`script\` is for action run, not ${String(p.action)}`)
        if (p.action !== 'scale' && p.by !== undefined) at([...base, 'by'], `\`by\` is for action scale, not ${String(p.action)}`)
        if ((p.action === 'scale' || p.action === 'replace') && (g.hosts !== undefined || g.inventory !== undefined)) at([...base, 'action'], `${String(p.action)} needs hosts a provider makes; group ${gName} has static hosts`)
      }
    }
  }
}
