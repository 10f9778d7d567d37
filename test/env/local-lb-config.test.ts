/**
 * The local load balancer's configuration as pure functions: which plan keys it ignores, the model of target groups
 * (members, targets out of traffic, rules in priority order), the nginx configuration it renders (checked by the
 * machine's own `nginx -t`, and its rule patterns by a regex engine), the health check's matcher, and the `env plan`
 * lines between two models.
 */
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {existsSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {test} from 'node:test'
import type {LoadBalancerSpec} from '../../src/plan/types.js'
import {ignoredKeys, lbModel, LB_RUN, modelChanges, renderNginx} from '../../src/providers/local/lb-config.js'
import {codeMatches} from '../../src/providers/local/lb-traffic.js'

const spec: LoadBalancerSpec = {
  scheme: 'internal',
  subnets: ['subnet-1'],
  idleTimeout: '30s',
  listeners: [
    {port: 8080, targets: 'web', rules: [{path: '/static/*', targets: 'web', priority: 20}, {path: '/api/v?/*', targets: 'api', priority: 10}, {host: '*.Example.com', targets: 'api'}]},
    {port: 8443, protocol: 'HTTPS', certificate: 'arn:aws:acm:x', targets: 'web'},
    {port: 9000, protocol: 'TCP', targets: 'api'},
  ],
  targetGroups: {
    web: {group: 'web', port: 8000, deregistrationDelay: '20s', healthCheck: {path: '/health', interval: '5s', matcher: '200-299'}},
    api: {group: 'api', port: 9000, protocol: 'HTTPS', deregistrationDelay: '10s'},
  },
}
const members = (g: string) => (g === 'web' ? ['127.0.9.3', '127.0.9.2', '127.0.9.3'] : [])

test('ignored keys: what nginx on a sandbox host cannot honour, each named', () => {
  const keys = ignoredKeys(spec).map((k) => k.split(' ')[0])
  assert.deepEqual(keys, ['scheme', 'subnets', 'listeners[1]', 'listeners[1].certificate', 'listeners[2]', 'targetGroups.web.healthCheck.interval'])
  assert.deepEqual(ignoredKeys({listeners: [{port: 80, targets: 'a'}], targetGroups: {a: {group: 'a', port: 80}}}), [])
})

test('the model: members once each and sorted, targets out of traffic down, rules by priority then as listed', () => {
  const m = lbModel(spec, '127.0.9.9', members, new Set(['web 127.0.9.3:8000', 'api 127.0.9.3:8000']))
  assert.deepEqual(m.upstreams.tg_web!.servers, [{target: '127.0.9.2:8000', down: false}, {target: '127.0.9.3:8000', down: true}])
  assert.deepEqual(m.upstreams.tg_api!.servers, [])
  assert.equal(m.upstreams.tg_api!.protocol, 'https')
  assert.deepEqual(m.listeners.map((l) => l.port), [8080], 'only the HTTP listener is served')
  assert.deepEqual(m.listeners[0]!.rules.map((r) => r.path ?? r.host), ['/api/v?/*', '/static/*', '*.Example.com'])
  assert.equal(m.drain, 20)
  assert.equal(m.idleTimeout, 30)
})

test('the rendered configuration passes nginx -t, and its rule patterns match as the ALB would', {skip: existsSync('/usr/sbin/nginx') ? false : 'no nginx'}, () => {
  const text = renderNginx(lbModel(spec, '127.0.0.1', members, new Set(['web 127.0.9.3:8000'])))
  assert.match(text, /server 127\.0\.9\.3:8000 down;/)
  assert.match(text, /server 127\.0\.9\.2:8000 max_fails=0;/)
  assert.match(text, /worker_shutdown_timeout 20s;/)
  assert.match(text, /keepalive_timeout 30s;/)
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dops-lb-conf-'))
  try {
    const conf = path.join(dir, 'nginx.conf')
    writeFileSync(conf, text.replaceAll(LB_RUN, dir))
    execFileSync('nginx', ['-t', '-q', '-e', path.join(dir, 'error.log'), '-c', conf], {stdio: 'pipe'})
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
  // the map's regexes (nginx unescapes only \\ and quotes: `\|` and `\.` reach PCRE as written)
  const res = [...text.matchAll(/^\s+"~(.*)" (tg_\w+);$/gm)].map((m) => ({re: new RegExp(m[1]!.replace('(?i)', ''), m[1]!.startsWith('(?i)') ? 'i' : ''), to: m[2]}))
  const route = (host: string, uri: string) => res.find((r) => r.re.test(`${host}|${uri}`))?.to ?? 'default'
  assert.equal(route('shop', '/api/v1/users'), 'tg_api')
  assert.equal(route('shop', '/api/v12/users'), 'default', '? is one character')
  assert.equal(route('shop', '/static/a.css'), 'tg_web')
  assert.equal(route('shop', '/Static/a.css'), 'default', 'paths are case-sensitive')
  assert.equal(route('www.example.com', '/'), 'tg_api', 'hosts are not')
  assert.equal(route('example.com', '/'), 'default')
})

test('matchers: a code, a list, a range; default 200', () => {
  assert.ok(codeMatches(200))
  assert.ok(!codeMatches(204))
  assert.ok(codeMatches(204, '200-299'))
  assert.ok(codeMatches(302, '200,302'))
  assert.ok(!codeMatches(0, '200-299'))
})

test('env plan lines between two models', () => {
  const a = lbModel(spec, '127.0.9.9', members, new Set())
  const b = lbModel({...spec, listeners: [spec.listeners[0]!, {port: 8081, targets: 'api'}]}, '127.0.9.9', (g) => (g === 'web' ? ['127.0.9.2', '127.0.9.4'] : []), new Set())
  assert.deepEqual(modelChanges('front', a, a), [])
  assert.deepEqual(modelChanges('front', a, b), ['+ load balancer front: listener 8081', '~ load balancer front: target group web: +127.0.9.4:8000 -127.0.9.3:8000'])
})
