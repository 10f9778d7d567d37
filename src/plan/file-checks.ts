/**
 * Files a plan names that must exist before anything runs: bootstrap scripts and event handler scripts (relative
 * to the plan's directory). Used by `dops validate`; each problem points at the field.
 */
import {statSync} from 'node:fs'
import path from 'node:path'
import type {Problem} from '../errors.js'
import {formatPath, locate, type PathSegment, type YamlSource} from './yaml-source.js'
import {scheduleFileChecks} from './schedule-checks.js'

const obj = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {})
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : [])

export function fileChecks(plan: unknown, source: YamlSource, dir: string): Problem[] {
  const problems: Problem[] = []
  const check = (at: PathSegment[], file: unknown, what: string) => {
    if (typeof file !== 'string' || !file) return
    const full = path.resolve(dir, file)
    let kind: string | undefined
    try {
      kind = statSync(full).isFile() ? undefined : 'is not a regular file'
    } catch (e) {
      kind = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : `cannot be read (${(e as NodeJS.ErrnoException).code})`
    }
    if (kind) problems.push({file: source.file, ...locate(source, at), path: formatPath(at), message: `${what} ${full} ${kind}`})
  }
  for (const [envName, env] of Object.entries(obj(obj(plan).environments))) {
    for (const [gName, g] of Object.entries(obj(obj(env).groups))) {
      const base: PathSegment[] = ['environments', envName, 'groups', gName]
      arr(obj(g).bootstrap).forEach((s, i) => check([...base, 'bootstrap', i, 'script'], obj(s).script, 'bootstrap script'))
      for (const kind of ['hostsJoined', 'hostsLeft']) {
        arr(obj(obj(g).on)[kind]).forEach((h, i) => check([...base, 'on', kind, i, 'script'], obj(h).script, `${kind} script`))
      }
    }
  }
  problems.push(...scheduleFileChecks(plan, source, dir))
  return problems
}
