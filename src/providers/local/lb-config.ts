/**
 * A local load balancer's nginx configuration, as pure functions: the plan's load balancer and the members of its
 * target groups (with the servers taken out of traffic) make a model; the model renders nginx.conf; two models
 * give the `env plan` lines. Listeners are `server { listen ADDRESS:PORT; }` blocks (HTTP), target groups are
 * upstreams, path and host rules a `map` checked in priority order (as the ALB checks its rules).
 */
import type {LoadBalancerSpec} from '../../plan/types.js'
import {parseDuration} from '../../util/duration.js'

/** Where the load balancer's files are inside its sandbox host (its private /etc/dops and /var/lib/dops). */
export const LB_CONF = '/etc/dops/lb/nginx.conf'
export const LB_RUN = '/var/lib/dops/lb'

export interface LbModel {
  address: string
  listeners: Array<{port: number; rules: Array<{host?: string; path?: string; upstream: string}>; upstream: string}>
  /** upstream name -> servers `address:port` (sorted), with `down` for those out of traffic */
  upstreams: Record<string, {targetGroup: string; protocol: 'http' | 'https'; servers: Array<{target: string; down: boolean}>}>
  /** seconds; 0 = nginx's defaults */
  idleTimeout: number
  /** seconds old workers may finish requests after a reload (deregistrationDelay: the longest of the target groups) */
  drain: number
}

/** the default deregistration delay (as ELBv2's) */
export const DEFAULT_DRAIN_S = 300

/** The listeners nginx serves here: HTTP ones (HTTPS needs a certificate: not served; TCP/TLS/UDP need the stream module). */
export function servedListeners(spec: LoadBalancerSpec): Array<{index: number; l: LoadBalancerSpec['listeners'][number]}> {
  const network = spec.type === 'network'
  return spec.listeners.map((l, index) => ({index, l})).filter(({l}) => !network && (l.protocol === undefined || l.protocol === 'HTTP'))
}

/** Plan keys of load balancer `spec` that nginx on a sandbox host does not honour, as `key (why)`. */
export function ignoredKeys(spec: LoadBalancerSpec): string[] {
  const out: string[] = []
  if (spec.scheme) out.push('scheme (every local load balancer listens on its own loopback address)')
  if (spec.subnets) out.push('subnets (aws only)')
  if (spec.securityGroups) out.push('securityGroups (aws only)')
  if (spec.firewall) out.push('firewall (no security group on the local provider)')
  if (spec.type === 'network') out.push('type: network (nginx here has no stream module: no TCP/UDP listener is served)')
  const served = new Set(servedListeners(spec).map((s) => s.index))
  spec.listeners.forEach((l, i) => {
    if (!served.has(i) && spec.type !== 'network') out.push(`listeners[${i}] (${l.protocol} ${l.port}: ${l.protocol === 'HTTPS' ? 'no certificate on the local provider' : 'nginx here has no stream module'}; not served)`)
    if (l.certificate) out.push(`listeners[${i}].certificate (aws only)`)
  })
  for (const [name, tg] of Object.entries(spec.targetGroups)) {
    const hc = tg.healthCheck ?? {}
    for (const k of ['interval', 'timeout', 'healthy', 'unhealthy'] as const) if (hc[k] !== undefined) out.push(`targetGroups.${name}.healthCheck.${k} (nginx has no active health checks: a target is checked once, when a deploy puts it back)`)
    if (tg.protocol && !['HTTP', 'HTTPS'].includes(tg.protocol)) out.push(`targetGroups.${name}.protocol: ${tg.protocol} (served as HTTP)`)
  }
  return out
}

const upstreamName = (tg: string) => `tg_${tg.replace(/-/g, '_')}`

/** The desired model: members are `address` of the group's ready hosts; `down` the `address:port` out of traffic. */
export function lbModel(spec: LoadBalancerSpec, address: string, members: (group: string) => string[], down: Set<string>): LbModel {
  const upstreams: LbModel['upstreams'] = {}
  for (const [name, tg] of Object.entries(spec.targetGroups)) {
    const targets = [...new Set(members(tg.group).map((a) => `${a}:${tg.port}`))].sort()
    upstreams[upstreamName(name)] = {targetGroup: name, protocol: tg.protocol === 'HTTPS' ? 'https' : 'http', servers: targets.map((target) => ({target, down: down.has(`${name} ${target}`)}))}
  }
  const listeners = servedListeners(spec).map(({l}) => {
    const rules = (l.rules ?? []).map((r, i) => ({r, i})).sort((a, b) => (a.r.priority ?? 50001 + a.i) - (b.r.priority ?? 50001 + b.i))
    return {port: l.port, upstream: upstreamName(l.targets), rules: rules.map(({r}) => ({...(r.host ? {host: r.host} : {}), ...(r.path ? {path: r.path} : {}), upstream: upstreamName(r.targets)}))}
  })
  const secs = (d: unknown) => Math.ceil((parseDuration(d as string) ?? 0) / 1000)
  const delays = Object.values(spec.targetGroups).map((tg) => (tg.deregistrationDelay === undefined ? DEFAULT_DRAIN_S : secs(tg.deregistrationDelay)))
  return {address, listeners, upstreams, idleTimeout: spec.idleTimeout === undefined ? 0 : secs(spec.idleTimeout), drain: Math.max(1, ...delays)}
}

/** ALB wildcards (`*`, `?`) as an anchored regex; `|` and quotes cannot appear (escaped). */
function globRe(glob: string): string {
  return glob.replace(/[.+^${}()|[\]\\"'\s;]/g, (c) => (/\s/.test(c) ? '\\s' : `\\${c}`)).replace(/\*/g, '.*').replace(/\?/g, '.')
}

export function renderNginx(m: LbModel): string {
  const out = [
    '# written by dops (the local provider\'s load balancer): changes here are overwritten',
    'worker_processes 1;',
    `pid ${LB_RUN}/nginx.pid;`,
    `error_log ${LB_RUN}/error.log;`,
    'events { worker_connections 1024; }',
    // old workers may finish their requests for this long after a reload, then are closed (deregistration delay)
    `worker_shutdown_timeout ${m.drain}s;`,
    'http {',
    '  access_log off;',
    `  client_body_temp_path ${LB_RUN}/body; proxy_temp_path ${LB_RUN}/proxy;`,
    `  fastcgi_temp_path ${LB_RUN}/fcgi; uwsgi_temp_path ${LB_RUN}/uwsgi; scgi_temp_path ${LB_RUN}/scgi;`,
  ]
  if (m.idleTimeout) out.push(`  keepalive_timeout ${m.idleTimeout}s; client_body_timeout ${m.idleTimeout}s; send_timeout ${m.idleTimeout}s;`, `  proxy_read_timeout ${m.idleTimeout}s; proxy_send_timeout ${m.idleTimeout}s;`)
  for (const [name, u] of Object.entries(m.upstreams)) {
    out.push(`  upstream ${name} {  # target group ${u.targetGroup}`)
    // max_fails=0: nginx never takes a server out on its own (dops says which are out); an empty group answers 502
    for (const s of u.servers) out.push(`    server ${s.target} ${s.down ? 'down' : 'max_fails=0'};`)
    if (!u.servers.length) out.push('    server 127.0.0.1:9 down;')
    out.push('  }')
  }
  m.listeners.forEach((l, i) => {
    const v = `$dops_listener_${i}`
    if (l.rules.length) {
      out.push(`  map "$host|$uri" ${v} {`)
      for (const r of l.rules) out.push(`    "~${r.host ? '(?i)^' + globRe(r.host.toLowerCase()) : '^[^|]*'}\\|${r.path ? globRe(r.path) : '.*'}$" ${r.upstream};`)
      out.push(`    default ${l.upstream};`, '  }')
    }
    const scheme = (u: string) => m.upstreams[u]?.protocol ?? 'http'
    const schemes = new Set([l.upstream, ...l.rules.map((r) => r.upstream)].map(scheme))
    const target = l.rules.length ? `${[...schemes][0]}://${v}` : `${scheme(l.upstream)}://${l.upstream}`
    out.push(
      '  server {',
      `    listen ${m.address}:${l.port};`,
      '    location / {',
      `      proxy_pass ${target};`,
      '      proxy_set_header Host $http_host;',
      '      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
      '      proxy_connect_timeout 1s;',
      // a target that refuses or fails is retried on the next one (a host being replaced never fails a request)
      '      proxy_next_upstream error timeout http_502 http_503;',
      '      proxy_next_upstream_tries 0;',
      '    }',
      '  }',
    )
  })
  out.push('}', '')
  return out.join('\n')
}

/** `env plan` lines from the applied model to the desired one (none when equal). */
export function modelChanges(name: string, from: LbModel, to: LbModel): string[] {
  const out: string[] = []
  const lis = (m: LbModel) => new Map(m.listeners.map((l) => [l.port, JSON.stringify(l)]))
  const [a, b] = [lis(from), lis(to)]
  for (const [port, l] of b) if (!a.has(port)) out.push(`+ load balancer ${name}: listener ${port}`)
  else if (a.get(port) !== l) out.push(`~ load balancer ${name}: listener ${port} (targets or rules)`)
  for (const port of a.keys()) if (!b.has(port)) out.push(`- load balancer ${name}: listener ${port}`)
  for (const [u, tg] of Object.entries(to.upstreams)) {
    const old = from.upstreams[u]
    if (!old) {
      out.push(`+ load balancer ${name}: target group ${tg.targetGroup} (${tg.servers.length} target(s))`)
      continue
    }
    const was = new Set(old.servers.map((s) => s.target))
    const now = new Set(tg.servers.map((s) => s.target))
    const added = [...now].filter((t) => !was.has(t))
    const gone = [...was].filter((t) => !now.has(t))
    if (added.length || gone.length) out.push(`~ load balancer ${name}: target group ${tg.targetGroup}: ${[...added.map((t) => `+${t}`), ...gone.map((t) => `-${t}`)].join(' ')}`)
    else if (JSON.stringify(old) !== JSON.stringify(tg)) out.push(`~ load balancer ${name}: target group ${tg.targetGroup} (protocol or targets out of traffic)`)
  }
  for (const [u, tg] of Object.entries(from.upstreams)) if (!to.upstreams[u]) out.push(`- load balancer ${name}: target group ${tg.targetGroup}`)
  if (from.idleTimeout !== to.idleTimeout || from.drain !== to.drain) out.push(`~ load balancer ${name}: idle timeout ${from.idleTimeout}s -> ${to.idleTimeout}s, drain ${from.drain}s -> ${to.drain}s`)
  return out
}
