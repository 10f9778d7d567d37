/** The bodies of the job-starting routes: JSON Schemas (unknown fields refused) and the checks a schema cannot make. */
import {isWithin} from '../../util/within.js'
import {statSync} from 'node:fs'
import path from 'node:path'
import type {LoadedPlan} from '../../plan/types.js'
import {badRequest} from '../http-errors.js'
import {NAME} from './schemas.js'

const yes = {type: 'boolean', description: 'allow destroying hosts (as `--yes`)'} as const
const names = (what: string) => ({description: what, anyOf: [{type: 'string', minLength: 1, maxLength: 256}, {type: 'array', maxItems: 100, items: {type: 'string', minLength: 1, maxLength: 256}}]})
const countOrPercent = (what: string) => ({description: what, anyOf: [{type: 'integer', minimum: 0}, {type: 'string', pattern: '^[0-9]{1,3}%$'}]})

export const bodies = {
  up: {type: 'object', additionalProperties: false, properties: {yes}},
  down: {type: 'object', additionalProperties: false, properties: {yes}},
  scale: {
    type: 'object',
    additionalProperties: false,
    required: ['groups'],
    properties: {groups: {type: 'object', minProperties: 1, maxProperties: 100, description: 'desired host count by group', additionalProperties: {type: 'integer', minimum: 0, maximum: 10000}}, yes},
  },
  deploy: {
    type: 'object',
    additionalProperties: false,
    required: ['app'],
    properties: {app: {...NAME, description: 'an app of the plan'}, revision: {type: 'string', minLength: 1, maxLength: 4096, description: 'a directory or archive inside the project (as `dops deploy --revision`); default: the app source'}},
  },
  rollback: {
    type: 'object',
    additionalProperties: false,
    required: ['app'],
    properties: {app: {...NAME, description: 'an app of the plan'}, to: {type: 'string', minLength: 1, maxLength: 256, description: 'a revision id; default: the previous good one'}},
  },
  run: {
    type: 'object',
    additionalProperties: false,
    properties: {
      command: {type: 'string', minLength: 1, maxLength: 65536, description: 'a shell command to run on each host'},
      script: {type: 'string', minLength: 1, maxLength: 4096, description: 'a script file of the project (relative to it)'},
      args: {type: 'array', maxItems: 1000, items: {type: 'string', maxLength: 65536}, description: "the script's arguments"},
      group: names('only hosts of these groups'),
      labels: names('only hosts with these labels (key=value or key)'),
      hosts: names('only hosts whose name or address matches (globs, !pattern excludes)'),
      batch: countOrPercent('hosts at a time: a number or a percentage'),
      maxFailures: countOrPercent('failure budget: a number or a percentage'),
      timeout: {description: 'per host: seconds, or a duration (30s, 5m)', anyOf: [{type: 'integer', minimum: 1}, {type: 'string', pattern: '^[0-9]+(ms|s|m|h)?$'}]},
      sudo: {type: 'boolean', description: 'run with sudo'},
    },
  },
} as const

/** A file named by the API: relative to the project, inside it, a regular file. */
export function projectFile(projectDir: string, rel: string, what: string, kind: 'file' | 'any' = 'file'): string {
  if (path.isAbsolute(rel)) throw badRequest(`${what} \`${rel}\`: give a path relative to the project directory`)
  const abs = path.resolve(projectDir, rel)
  if (!isWithin(projectDir, abs)) throw badRequest(`${what} \`${rel}\` is not inside the project directory`)
  const st = (() => {
    try {
      return statSync(abs)
    } catch {
      return undefined
    }
  })()
  if (!st) throw badRequest(`${what} \`${rel}\` does not exist in the project`)
  if (kind === 'file' && !st.isFile()) throw badRequest(`${what} \`${rel}\` is not a regular file`)
  return rel
}

/** A run's selection as the CLI checks it (an unknown group or label, no host matched): refused before any job. */
export async function checkSelection(where: {projectDir: string; planFile: string}, env: string, body: Record<string, unknown>): Promise<void> {
  const [{resolveTargets, selectTargets}] = await Promise.all([import('../../targets.js')])
  const list = (v: unknown) => (v === undefined ? undefined : ([] as string[]).concat(v as string | string[]))
  const t = await resolveTargets({cwd: where.projectDir, planFile: where.planFile, env})
  selectTargets(t, {groups: list(body.group), labels: list(body.labels), names: list(body.hosts)})
}

/** Check a body against the plan: the app, the groups. Nothing is started when this throws. */
export function checkAgainstPlan(loaded: LoadedPlan, env: string, kind: string, body: Record<string, unknown>): void {
  const groups = Object.keys(loaded.plan.environments?.[env]?.groups ?? {})
  const apps = Object.keys(loaded.plan.apps ?? {})
  if ((kind === 'deploy' || kind === 'rollback') && !apps.includes(String(body.app))) throw badRequest(`no app \`${String(body.app)}\` in the plan (apps: ${apps.join(', ') || 'none'})`)
  const asked = kind === 'scale' ? Object.keys(body.groups as object) : kind === 'run' && body.group !== undefined ? ([] as string[]).concat(body.group as string | string[]) : []
  for (const g of asked) if (!groups.includes(g)) throw badRequest(`no group \`${g}\` in environment ${env} (groups: ${groups.join(', ')})`)
  if (kind === 'env.down' && body.yes !== true) throw badRequest('env down destroys the hosts the providers made: send `{"yes": true}` (as `dops env down --yes`)')
  if (kind === 'run' && (body.command === undefined) === (body.script === undefined)) throw badRequest('give either `command` or `script` (a file of the project)')
  if (kind === 'run' && body.args !== undefined && body.script === undefined) throw badRequest('`args` are the arguments of a `script`')
}
