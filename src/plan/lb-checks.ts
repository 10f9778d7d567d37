/**
 * Checks of `loadBalancers:` and of apps' `traffic.targetGroup` that the schema cannot express, each located at its
 * field: a target group's group exists (and an aws load balancer's groups are aws groups); listeners and rules
 * forward to a target group of their own load balancer; target group names are unique in the environment (an app's
 * `traffic.targetGroup` names one by name alone); protocols fit the type; HTTPS/TLS listeners have a certificate;
 * listener ports and rule priorities are not repeated; a health check's timeout is below its interval.
 *
 * `traffic.targetGroup`: every environment with a group that runs the app (environments built by `restoreFrom`
 * excepted: they take the source's) must have a load balancer with a target group of that name, forwarding to a
 * group that runs the app. An explicit `traffic.timeout` must exceed the target group's deregistration delay (AWS
 * default 300 s for an aws load balancer): draining lasts up to the delay.
 */
import type {Plan} from './types.js'
import {closest} from './suggest.js'
import type {At} from './schedule-checks.js'
import {parseDuration} from '../util/duration.js'

const obj = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {})
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : [])
const str = (v: unknown): v is string => typeof v === 'string'
const didYouMean = (name: string, names: string[]) => {
  const guess = closest(name, names)
  return guess ? `; did you mean \`${guess}\`?` : ` (${names.length ? names.join(', ') : 'none'})`
}
const HTTP = ['HTTP', 'HTTPS']
const NET = ['TCP', 'TLS', 'UDP', 'TCP_UDP']
const secs = (v: unknown) => {
  try {
    return typeof v === 'number' || str(v) ? parseDuration(v) : undefined
  } catch {
    return undefined
  }
}

/** The provider type of a group (its `provider`, the environment's, else static), as the plan declares it. */
function providerType(plan: Plan, env: Record<string, unknown>, group: Record<string, unknown>): string {
  const name = str(group.provider) ? group.provider : str(env.provider) ? env.provider : 'static'
  const def = obj(obj(plan.providers)[name])
  return str(def.type) ? def.type : name
}

function checkLb(plan: Plan, envName: string, env: Record<string, unknown>, lbName: string, lbRaw: unknown, seen: Map<string, string>, at: At): void {
  const lb = obj(lbRaw)
  const base = ['environments', envName, 'loadBalancers', lbName]
  const groups = obj(env.groups)
  const type = str(lb.type) ? lb.type : 'application'
  const allowed = type === 'network' ? NET : HTTP
  const tgs = obj(lb.targetGroups)
  const tgNames = Object.keys(tgs)
  const lbType = str(lb.provider) ? (str(obj(obj(plan.providers)[lb.provider]).type) ? String(obj(obj(plan.providers)[lb.provider]).type) : lb.provider) : undefined
  for (const [tgName, tgRaw] of Object.entries(tgs)) {
    const tg = obj(tgRaw)
    const at2 = [...base, 'targetGroups', tgName]
    const other = seen.get(tgName)
    if (other !== undefined) at(at2, `target group \`${tgName}\` is also a target group of load balancer ${other}: target group names must be unique in environment ${envName} (an app's traffic.targetGroup names one)`, undefined, true)
    else seen.set(tgName, lbName)
    if (str(tg.group) && !Object.hasOwn(groups, tg.group)) at([...at2, 'group'], `group \`${tg.group}\` is not a group of environment ${envName}${didYouMean(tg.group, Object.keys(groups))}`)
    else if (str(tg.group)) {
      const gType = providerType(plan, env, obj(groups[tg.group]))
      const want = lbType ?? providerType(plan, env, obj(groups[String(obj(Object.values(tgs)[0]).group)] ?? {}))
      if (want === 'aws' && gType !== 'aws') at([...at2, 'group'], `group \`${tg.group}\` is not an aws group (its provider type is ${gType}): an aws load balancer's targets are EC2 instances of aws groups`)
      else if (gType === 'static' && !lbType) at([...at2, 'group'], `group \`${tg.group}\` has static hosts: a load balancer needs a provider; give the load balancer \`provider\``)
    }
    if (str(tg.protocol) && !allowed.includes(tg.protocol)) at([...at2, 'protocol'], `protocol ${tg.protocol} does not fit a${type === 'application' ? 'n application' : ' network'} load balancer: expected one of ${allowed.join(', ')}`)
    const hc = obj(tg.healthCheck)
    if (type === 'application' && str(hc.protocol) && !HTTP.includes(hc.protocol)) at([...at2, 'healthCheck', 'protocol'], `health check protocol ${hc.protocol} does not fit an application load balancer: expected HTTP or HTTPS`)
    const [interval, timeout] = [secs(hc.interval), secs(hc.timeout)]
    if (interval !== undefined && (interval < 5000 || interval > 300_000)) at([...at2, 'healthCheck', 'interval'], `health check interval must be between 5s and 300s`)
    if (interval !== undefined && timeout !== undefined && timeout >= interval) at([...at2, 'healthCheck', 'timeout'], `health check timeout (${hc.timeout}) must be shorter than its interval (${hc.interval})`)
    if (str(hc.path) && !hc.path.startsWith('/')) at([...at2, 'healthCheck', 'path'], `health check path \`${hc.path}\` must start with /`)
  }
  const ports = new Set<number>()
  arr(lb.listeners).forEach((lRaw, i) => {
    const l = obj(lRaw)
    const at2 = [...base, 'listeners', i]
    if (typeof l.port === 'number' && ports.has(l.port)) at([...at2, 'port'], `port ${l.port} has another listener on load balancer ${lbName}`)
    if (typeof l.port === 'number') ports.add(l.port)
    if (str(l.protocol) && !allowed.includes(l.protocol)) at([...at2, 'protocol'], `protocol ${l.protocol} does not fit a${type === 'application' ? 'n application' : ' network'} load balancer: expected one of ${allowed.join(', ')}`)
    const secure = l.protocol === 'HTTPS' || l.protocol === 'TLS'
    if (secure && !str(l.certificate)) at(at2, `a ${l.protocol} listener needs \`certificate\` (the certificate's ARN)`, undefined, true)
    if (!secure && str(l.certificate)) at([...at2, 'certificate'], `\`certificate\` is for HTTPS and TLS listeners; this one is ${str(l.protocol) ? l.protocol : allowed[0]}`)
    if (str(l.targets) && !tgNames.includes(l.targets)) at([...at2, 'targets'], `\`${l.targets}\` is not a target group of load balancer ${lbName}${didYouMean(l.targets, tgNames)}`)
    const priorities = new Set<number>()
    arr(l.rules).forEach((rRaw, j) => {
      const r = obj(rRaw)
      const at3 = [...at2, 'rules', j]
      if (type === 'network') at(at3, 'listener rules are for application load balancers', undefined, true)
      if (!str(r.path) && !str(r.host)) at(at3, 'a rule needs `path` or `host` to match requests', undefined, true)
      const p = typeof r.priority === 'number' ? r.priority : j + 1
      if (priorities.has(p)) at([...at3, ...(typeof r.priority === 'number' ? ['priority'] : [])], `priority ${p} is taken by another rule of this listener (a rule's priority defaults to its place: 1, 2, ...)`, undefined, typeof r.priority !== 'number')
      priorities.add(p)
      if (str(r.targets) && !tgNames.includes(r.targets)) at([...at3, 'targets'], `\`${r.targets}\` is not a target group of load balancer ${lbName}${didYouMean(r.targets, tgNames)}`)
    })
  })
  if (str(lb.provider) && !Object.hasOwn(obj(plan.providers), lb.provider) && !['aws', 'local'].includes(lb.provider)) at([...base, 'provider'], `provider \`${lb.provider}\` is not defined under \`providers\``)
}

/** Whether a load balancer is an aws one (its provider's type, else that of its first target group's group). */
function lbIsAws(plan: Plan, env: Record<string, unknown>, lb: Record<string, unknown>): boolean {
  if (str(lb.provider)) return (str(obj(obj(plan.providers)[lb.provider]).type) ? obj(obj(plan.providers)[lb.provider]).type : lb.provider) === 'aws'
  const first = obj(Object.values(obj(lb.targetGroups))[0])
  return providerType(plan, env, obj(obj(env.groups)[String(first.group)])) === 'aws'
}

/** An explicit traffic.timeout not above the target group's deregistration delay races draining. */
function checkTimeout(timeout: unknown, found: {lb: string; n: string; delay: unknown; aws: boolean}, envName: string, app: string, at: At): void {
  const t = secs(timeout)
  const delay = found.delay !== undefined ? secs(found.delay) : found.aws ? 300_000 : undefined
  if (t === undefined || delay === undefined || t > delay) return
  const given = found.delay !== undefined ? `${String(found.delay)}` : '300s, the AWS default'
  at(['apps', app, 'traffic', 'timeout'], `traffic.timeout (${String(timeout)}) must be longer than the deregistration delay of target group \`${found.n}\` (load balancer ${found.lb} of environment ${envName}: ${given}): draining lasts up to the delay; leave timeout out for delay + 60s`)
}

export function checkLoadBalancers(plan: Plan, at: At): void {
  const environments = obj(plan.environments)
  for (const [envName, envRaw] of Object.entries(environments)) {
    const env = obj(envRaw)
    const seen = new Map<string, string>()
    for (const [lbName, lb] of Object.entries(obj(env.loadBalancers))) checkLb(plan, envName, env, lbName, lb, seen, at)
  }
  for (const [app, appRaw] of Object.entries(obj(plan.apps))) {
    const tg = obj(obj(appRaw).traffic).targetGroup
    if (!str(tg)) continue
    for (const [envName, envRaw] of Object.entries(environments)) {
      const env = obj(envRaw)
      if (str(env.restoreFrom)) continue
      const running = Object.entries(obj(env.groups)).filter(([, g]) => arr(obj(g).apps).includes(app)).map(([n]) => n)
      if (!running.length) continue
      const all = Object.entries(obj(env.loadBalancers)).flatMap(([lb, l]) => Object.entries(obj(obj(l).targetGroups)).map(([n, t]) => ({lb, n, group: obj(t).group, delay: obj(t).deregistrationDelay, aws: lbIsAws(plan, env, obj(l))})))
      const found = all.find((x) => x.n === tg)
      if (!found) at(['apps', app, 'traffic', 'targetGroup'], `\`${tg}\` is not a target group of a load balancer of environment ${envName}, where group ${running.join(', ')} runs app ${app}${didYouMean(tg, all.map((x) => x.n))}`)
      else if (!running.includes(String(found.group))) at(['apps', app, 'traffic', 'targetGroup'], `target group \`${tg}\` (load balancer ${found.lb} of environment ${envName}) forwards to group ${String(found.group)}, which does not run app ${app} (${running.join(', ')} do)`)
      else checkTimeout(obj(obj(appRaw).traffic).timeout, found, envName, app, at)
    }
  }
}
