/**
 * Checks the schema cannot express: references between groups, apps and providers, dependency cycles, duplicate
 * hosts. Each problem points at the offending field.
 */
import type {Problem} from '../errors.js'
import {closest} from './suggest.js'
import type {Plan} from './types.js'
import {formatPath, locate, type PathSegment, type YamlSource} from './yaml-source.js'
import {knownProviderTypes} from '../providers/known-types.js'
import {isIP} from 'node:net'
import {dirname} from 'node:path'
import {findCycles} from './cycles.js'
import {checkSchedules} from './schedule-checks.js'
import {checkTriggers} from './trigger-checks.js'
import {checkAlertPolicies} from './alert-checks.js'
import {checkDns} from './dns-checks.js'
import {checkLoadBalancers} from './lb-checks.js'
import {checkRevisionStore} from './revisions-checks.js'
import {checkRestore, sourceGroupOf} from './restore-checks.js'

export {findCycles}

/** The value when it is a mapping, else an empty one: cross-checks also run on plans the schema rejected. */
const obj = <T = Record<string, unknown>>(v: unknown): T => (typeof v === 'object' && v !== null && !Array.isArray(v) ? v : {}) as T
const arr = <T = unknown>(v: unknown): T[] => (Array.isArray(v) ? v : []) as T[]
const str = (v: unknown): v is string => typeof v === 'string'

/** Every problem the schema cannot express. The plan may have failed the schema: values of the wrong type are skipped. */
export function crossCheck(plan: Plan, source: YamlSource, providerTypes: string[] = knownProviderTypes()): Problem[] {
  const problems: Problem[] = []
  const at = (path: PathSegment[], message: string, suggestion?: string, onKey = false): void => {
    problems.push({file: source.file, ...locate(source, path, onKey), path: formatPath(path), message, suggestion})
  }
  const providers = obj<NonNullable<Plan['providers']>>(plan.providers)
  for (const [name, p] of Object.entries(providers)) {
    if (!str(p?.type)) continue
    if (!providerTypes.includes(p.type) && !p.module) {
      const guess = closest(p.type, providerTypes)
      at(['providers', name, 'type'], `unknown provider type \`${p.type}\`${guess ? `; did you mean \`${guess}\`?` : ''}`, guess ? undefined : `known types: ${providerTypes.join(', ')}`)
    }
  }
  const apps = Object.keys(obj(plan.apps))
  const environments = obj<NonNullable<Plan['environments']>>(plan.environments)
  for (const [name, app] of Object.entries(obj(plan.apps))) {
    const traffic = obj<{group?: unknown}>(obj<{traffic?: unknown}>(app).traffic)
    if (str(traffic.group) && !Object.values(environments).some((e) => Object.hasOwn(obj(obj(e).groups), traffic.group as string))) at(['apps', name, 'traffic', 'group'], `traffic group \`${traffic.group}\` is not a group of any environment`)
  }
  for (const [envName, env] of Object.entries(environments)) {
    const groups = obj<NonNullable<typeof env.groups>>(obj(env).groups)
    const groupNames = Object.keys(groups)
    const ref = (path: PathSegment[], name: string, what: string) => {
      if (!groupNames.includes(name)) {
        const guess = closest(name, groupNames)
        at(path, `${what} \`${name}\` is not a group of environment ${envName}${guess ? `; did you mean \`${guess}\`?` : ''}`, guess ? undefined : `groups: ${groupNames.join(', ') || '(none)'}`)
      }
    }
    const seenHosts = new Map<string, string>()
    for (const [gName, gRaw] of Object.entries(groups)) {
      const g = obj<typeof gRaw>(gRaw)
      const base: PathSegment[] = ['environments', envName, 'groups', gName]
      // a restored environment's entry may only override its source's group (restore-checks.ts)
      const restored = sourceGroupOf(plan, envName, gName)
      const providerName = str(g.provider) ? g.provider : str(obj(env).provider) ? (obj(env).provider as string) : (restored?.provider ?? 'static')
      const declared = Object.hasOwn(providers, providerName) ? obj<{type?: string; module?: string}>(providers[providerName]) : undefined
      const providerType = declared?.type ?? (providerTypes.includes(providerName) ? providerName : undefined)
      const isPlugin = !!declared?.module
      if (!providerType) {
        const guess = closest(providerName, [...Object.keys(providers), ...providerTypes])
        at([...base, 'provider'], `unknown provider \`${providerName}\`${guess ? `; did you mean \`${guess}\`?` : ''}`, guess ? undefined : `define it under \`providers\` or use one of: ${providerTypes.join(', ')}`)
      }
      if (providerType === 'static') {
        if (g.instance) at([...base, 'instance'], 'a static group uses existing hosts and cannot have `instance`', 'set `provider: local` or `provider: aws`, or list `hosts`')
        if (!g.hosts && !g.inventory && !restored) at(base, 'a static group needs `hosts` or `inventory`', undefined, true)
      } else if (providerType && !isPlugin && (g.hosts || g.inventory)) {
        at([...base, g.hosts ? 'hosts' : 'inventory'], `\`${g.hosts ? 'hosts' : 'inventory'}\` is only for static groups; provider \`${providerName}\` creates hosts from \`instance\``)
      }
      arr<string>(g.dependsOn).forEach((d, i) => {
        if (!str(d)) return
        if (d === gName) at([...base, 'dependsOn', i], `group ${gName} cannot depend on itself`)
        else ref([...base, 'dependsOn', i], d, 'dependency')
      })
      arr<string>(g.apps).forEach((a, i) => {
        if (str(a) && !apps.includes(a)) {
          const guess = closest(a, apps)
          at([...base, 'apps', i], `app \`${a}\` is not defined under \`apps\`${guess ? `; did you mean \`${guess}\`?` : ''}`)
        }
      })
      for (const kind of ['hostsJoined', 'hostsLeft'] as const) {
        arr<{group?: unknown}>(obj<Record<string, unknown>>(g.on)[kind]).forEach((h, i) => str(obj(h).group) && ref([...base, 'on', kind, i, 'group'], h.group as string, 'event handler group'))
      }
      arr<{port?: number | string; from?: string[]}>(obj<{firewall?: unknown}>(g.instance).firewall).forEach((rRaw, i) => {
        const r = obj<typeof rRaw>(rRaw)
        const range = typeof r.port === 'string' ? /^(\d+)-(\d+)$/.exec(r.port) : null
        if (range && Number(range[1]) > Number(range[2])) at([...base, 'instance', 'firewall', i, 'port'], `port range ${r.port} runs backwards; write it low-high (${range[2]}-${range[1]})`)
        if (range && Number(range[2]) > 65535) at([...base, 'instance', 'firewall', i, 'port'], `port range ${r.port} goes past 65535`)
        arr<string>(r.from).forEach((src, j) => {
          if (!str(src)) return
          if (src.startsWith('group:')) ref([...base, 'instance', 'firewall', i, 'from', j], src.slice(6), 'firewall source')
          else if (!isCidr(src)) at([...base, 'instance', 'firewall', i, 'from', j], `\`${src}\` is neither a CIDR block (10.0.0.0/8, 2001:db8::/32) nor a group reference (group:NAME)`)
        })
      })
      // aws sizes: CPU and memory (2C4G) or an instance type (t3.small); other providers read `size` their own way
      const size = (g.instance as {size?: unknown} | undefined)?.size
      if (providerType === 'aws' && typeof size === 'string' && !/^\d+C\d+(\.\d+)?G$/i.test(size) && !/^[a-z][a-z0-9-]*\.[a-z0-9]+$/.test(size)) {
        at([...base, 'instance', 'size'], `size \`${size}\` is neither CPU and memory (e.g. 2C4G) nor an EC2 instance type (e.g. t3.small)`)
      }
      const asg = obj<{autoScaling?: {min?: number; max?: number; desired?: number}}>(g.instance).autoScaling
      if (asg && typeof asg === 'object') {
        const min = typeof asg.min === 'number' ? asg.min : 0
        const max = typeof asg.max === 'number' ? asg.max : Infinity
        if (min > max) at([...base, 'instance', 'autoScaling', 'min'], `autoScaling.min ${min} is above autoScaling.max ${max}`)
        for (const [key, value, path] of [
          ['count', obj<{count?: unknown}>(g.instance).count, [...base, 'instance', 'count']],
          ['autoScaling.desired', asg.desired, [...base, 'instance', 'autoScaling', 'desired']],
        ] as const) {
          if (typeof value === 'number' && (value < min || value > max)) at([...path], `${key} ${value} is outside the Auto Scaling range (min ${min}, max ${Number.isFinite(max) ? max : '-'})`)
        }
      }
      arr<unknown>(g.hosts).forEach((h, i) => {
        const name = typeof h === 'string' ? h.replace(/^[^@]*@/, '') : (obj<{name?: unknown}>(h).name ?? obj<{address?: unknown}>(h).address)
        if (!str(name)) return
        const prev = seenHosts.get(name)
        if (prev === gName) at([...base, 'hosts', i], `duplicate host \`${name}\` in group ${gName}`)
        else if (prev === undefined) seenHosts.set(name, gName)
      })
    }
    for (const cycle of findCycles(Object.fromEntries(Object.entries(groups).map(([n, g]) => [n, arr<string>(obj<{dependsOn?: unknown}>(g).dependsOn).filter(str)])))) {
      at(['environments', envName, 'groups', cycle[0]!, 'dependsOn'], `dependency cycle: ${[...cycle, cycle[0]].join(' -> ')}`)
    }
  }
  checkSchedules(plan, at)
  checkTriggers(plan, at)
  checkRevisionStore(plan, at)
  checkAlertPolicies(plan, at, source.file ? dirname(source.file) : undefined)
  checkDns(plan, at, providerTypes)
  checkLoadBalancers(plan, at)
  checkRestore(plan, at, providerTypes)
  return problems
}

/** An IPv4 or IPv6 CIDR block. */
export function isCidr(s: string): boolean {
  const [ip, bits, ...rest] = s.split('/')
  if (rest.length || bits === undefined || !/^\d{1,3}$/.test(bits)) return false
  const v = isIP(ip!)
  return (v === 4 && Number(bits) <= 32) || (v === 6 && Number(bits) <= 128)
}
