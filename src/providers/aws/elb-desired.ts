/**
 * What the plan wants of a load balancer's target groups and listeners, defaults filled in (pure): a value the plan
 * leaves out is AWS's default, so removing a key from the plan brings it back, and `env plan` compares like with like.
 */
import type {LbProtocol, LoadBalancerSpec, TargetGroupSpec} from '../../plan/types.js'
import {parseDuration} from '../../util/duration.js'
import type {TargetGroup} from './elb-sdk.js'

export const lbType = (spec: LoadBalancerSpec) => spec.type ?? 'application'
export const lbScheme = (spec: LoadBalancerSpec) => spec.scheme ?? 'internet-facing'
export const defaultProtocol = (spec: LoadBalancerSpec): LbProtocol => (lbType(spec) === 'network' ? 'TCP' : 'HTTP')
export const seconds = (d: number | string | undefined, dflt: number) => (d === undefined ? dflt : Math.round((parseDuration(d) ?? dflt * 1000) / 1000))

export interface HealthCheck {
  protocol: string
  path?: string
  port: string
  interval: number
  timeout: number
  healthy: number
  unhealthy: number
  matcher?: string
}

export interface DesiredTg {
  key: string
  group: string
  port: number
  protocol: LbProtocol
  health: HealthCheck
  /** deregistration delay, seconds (AWS default 300) */
  delay: number
}

export function desiredTg(lb: LoadBalancerSpec, key: string, tg: TargetGroupSpec): DesiredTg {
  const protocol = tg.protocol ?? defaultProtocol(lb)
  const h = tg.healthCheck ?? {}
  const hcProtocol = h.protocol ?? (protocol === 'HTTP' || protocol === 'HTTPS' ? protocol : 'TCP')
  const http = hcProtocol !== 'TCP'
  return {
    key,
    group: tg.group,
    port: tg.port,
    protocol,
    health: {
      protocol: hcProtocol,
      ...(http ? {path: h.path ?? '/', matcher: h.matcher ?? '200'} : {}),
      port: h.port === undefined ? 'traffic-port' : String(h.port),
      interval: seconds(h.interval, 30),
      timeout: seconds(h.timeout, http ? 5 : 10),
      healthy: h.healthy ?? 5,
      unhealthy: h.unhealthy ?? 2,
    },
    delay: seconds(tg.deregistrationDelay, 300),
  }
}

/** The SDK's health check fields of a target group. */
export function healthParams(h: HealthCheck) {
  return {
    HealthCheckProtocol: h.protocol as 'HTTP',
    ...(h.path !== undefined ? {HealthCheckPath: h.path} : {}),
    HealthCheckPort: h.port,
    HealthCheckIntervalSeconds: h.interval,
    HealthCheckTimeoutSeconds: h.timeout,
    HealthyThresholdCount: h.healthy,
    UnhealthyThresholdCount: h.unhealthy,
    ...(h.matcher !== undefined ? {Matcher: {HttpCode: h.matcher}} : {}),
  }
}

/** What differs between the target group's health check and the plan's: `path / -> /health`, `interval 30s -> 10s`. */
export function healthDiff(want: HealthCheck, have: TargetGroup): string[] {
  const cur: HealthCheck = {
    protocol: have.HealthCheckProtocol ?? '',
    ...(want.path !== undefined ? {path: have.HealthCheckPath ?? ''} : {}),
    port: have.HealthCheckPort ?? 'traffic-port',
    interval: have.HealthCheckIntervalSeconds ?? 0,
    timeout: have.HealthCheckTimeoutSeconds ?? 0,
    healthy: have.HealthyThresholdCount ?? 0,
    unhealthy: have.UnhealthyThresholdCount ?? 0,
    ...(want.matcher !== undefined ? {matcher: have.Matcher?.HttpCode ?? ''} : {}),
  }
  const unit = (k: string) => (k === 'interval' || k === 'timeout' ? 's' : '')
  return (Object.keys(want) as Array<keyof HealthCheck>).filter((k) => String(want[k]) !== String(cur[k])).map((k) => `health check ${k} ${cur[k]}${unit(k)} -> ${want[k]}${unit(k)}`)
}

/** Port or protocol changed: AWS cannot modify those, the target group is made again. */
export const mustReplace = (want: DesiredTg, have: TargetGroup) => want.port !== have.Port || want.protocol !== have.Protocol

export interface DesiredRule {
  priority: number
  conditions: Array<{Field: string; Values: string[]}>
  targets: string
}
export interface DesiredListener {
  port: number
  protocol: LbProtocol
  certificate?: string
  targets: string
  rules: DesiredRule[]
}

export function desiredListeners(lb: LoadBalancerSpec): DesiredListener[] {
  return (lb.listeners ?? []).map((l) => ({
    port: l.port,
    protocol: l.protocol ?? defaultProtocol(lb),
    ...(l.certificate ? {certificate: l.certificate} : {}),
    targets: l.targets,
    // rules are an application load balancer's; the priority defaults to the rule's place (1, 2, ...)
    rules: lbType(lb) === 'network' ? [] : (l.rules ?? []).map((r, i) => ({priority: r.priority ?? i + 1, conditions: [...(r.path ? [{Field: 'path-pattern', Values: [r.path]}] : []), ...(r.host ? [{Field: 'host-header', Values: [r.host]}] : [])], targets: r.targets})),
  }))
}

/** The inbound rules of the load balancer's security group: the plan's, else every listener's port from anywhere. */
export function lbFirewall(lb: LoadBalancerSpec): Array<{port: number | string; protocol?: string; from: string[]}> {
  return lb.firewall ?? [...new Set((lb.listeners ?? []).map((l) => l.port))].map((port) => ({port, from: ['0.0.0.0/0']}))
}
