/**
 * Values the schema cannot bound: the port of a `host:PORT` entry and durations longer than a timer can wait.
 */
import type {Problem} from '../errors.js'
import {checkDuration} from '../util/duration.js'
import {hostEntryPort, portProblem} from '../inventory/port-var.js'
import {formatPath, locate, type PathSegment, type YamlSource} from './yaml-source.js'

const obj = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {})
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : [])

const SSH_DURATIONS = ['connectTimeout', 'commandTimeout', 'keepaliveInterval']

export function valueChecks(plan: unknown, source: YamlSource): Problem[] {
  const problems: Problem[] = []
  const at = (path: PathSegment[], message: string) => problems.push({file: source.file, ...locate(source, path), path: formatPath(path), message})
  const duration = (path: PathSegment[], v: unknown) => {
    if (typeof v !== 'string' && typeof v !== 'number') return
    const p = checkDuration(v)
    if (p) at(path, p)
  }
  const ssh = (base: PathSegment[], s: unknown) => {
    SSH_DURATIONS.forEach((k) => duration([...base, 'ssh', k], obj(s)[k]))
    const jump = obj(s).proxyJump
    if (typeof jump !== 'string') return
    for (const hop of jump.split(',')) {
      const port = hostEntryPort(hop.trim())
      const problem = port === undefined ? undefined : portProblem(port)
      if (problem) at([...base, 'ssh', 'proxyJump'], `jump host \`${hop.trim()}\`: ${problem}`)
    }
  }
  const p = obj(plan)
  ssh([], p.ssh)
  for (const [name, prov] of Object.entries(obj(p.providers))) for (const k of ['sshTimeout', 'deleteTimeout']) duration(['providers', name, k], obj(prov)[k])
  for (const [name, app] of Object.entries(obj(p.apps))) {
    duration(['apps', name, 'strategy', 'pause'], obj(obj(app).strategy).pause)
    for (const k of ['interval', 'timeout']) duration(['apps', name, 'healthCheck', k], obj(obj(app).healthCheck)[k])
  }
  for (const [envName, env] of Object.entries(obj(p.environments))) {
    ssh(['environments', envName], obj(env).ssh)
    for (const [gName, g] of Object.entries(obj(obj(env).groups))) {
      const base: PathSegment[] = ['environments', envName, 'groups', gName]
      ssh(base, obj(g).ssh)
      arr(obj(g).bootstrap).forEach((s, i) => duration([...base, 'bootstrap', i, 'timeout'], obj(s).timeout))
      arr(obj(g).hosts).forEach((h, i) => {
        if (typeof h !== 'string') return
        const port = hostEntryPort(h)
        const problem = port === undefined ? undefined : portProblem(port)
        if (problem) at([...base, 'hosts', i], `host \`${h}\`: ${problem}`)
      })
    }
  }
  return problems
}
