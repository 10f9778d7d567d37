/** Checks of `apps.NAME.trigger` the schema cannot express (env and group references). */
import type {At} from './schedule-checks.js'
import {closest} from './suggest.js'
import type {Plan} from './types.js'

/** The value when it is a mapping, else an empty one: cross-checks also run on plans the schema rejected. */
const obj = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {})

export function checkTriggers(plan: Plan, at: At): void {
  const environments = obj(plan.environments)
  const envNames = Object.keys(environments)
  for (const [name, app] of Object.entries(obj(plan.apps))) {
    const trigger = obj(obj(app).trigger)
    if (typeof trigger.url === 'string' && /^[a-z]+:\/\/[^/@]*:[^/@]*@/i.test(trigger.url)) at(['apps', name, 'trigger', 'url'], 'the URL carries a password; it would be journaled and logged', 'use a git credential helper or an ssh key for private repositories')
    const sub = trigger.path
    if (typeof sub === 'string' && (sub.startsWith('/') || sub.split(/[\\/]/).includes('..'))) at(['apps', name, 'trigger', 'path'], `\`${sub}\` must be a directory inside the repository (relative, without ..)`)
    const env = trigger.env
    if (typeof env !== 'string') continue
    const path = ['apps', name, 'trigger', 'env']
    if (!Object.hasOwn(environments, env)) {
      const guess = closest(env, envNames)
      at(path, `environment \`${env}\` is not an environment of the plan${guess ? `; did you mean \`${guess}\`?` : ''}`, guess ? undefined : `environments: ${envNames.join(', ') || '(none)'}`)
      continue
    }
    const groups = obj(obj(environments[env]).groups)
    const listing = Object.entries(groups).filter(([, g]) => {
      const apps = obj(g).apps
      return Array.isArray(apps) && apps.includes(name)
    })
    if (!listing.length) at(path, `no group of environment ${env} lists app ${name} in its \`apps\`, so a push would deploy nowhere`, `add \`apps: [${name}]\` to a group of ${env}`)
  }
}
