/**
 * Load balancers on the local provider: `loadBalancers:` in a local environment is nginx on its own sandbox host.
 * env up serves the app through it (a path rule sends /api/* to another target group); its target groups follow
 * the web group as it scales up and down; the traffic control of a target group takes a host out (every request
 * then reaches the other one) and puts it back; a rolling deploy with `traffic: {targetGroup}` drops no request of
 * a client hammering the load balancer; env down leaves no sandbox host, directory or process.
 */
import assert from 'node:assert/strict'
import {cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, test} from 'node:test'
import type {DeployReport} from '../../src/deploy/deploy-job.js'
import type {EnvReport} from '../../src/env/env-job.js'
import type {LbRecord} from '../../src/env/resources.js'
import {resourceScope} from '../../src/env/steps/resources.js'
import {loadPlan} from '../../src/plan/load.js'
import {LB_CONF, LB_RUN} from '../../src/providers/local/lb-config.js'
import {onLbHost, runningLbHost} from '../../src/providers/local/lb-host.js'
import {localLbBackend} from '../../src/providers/local/lb.js'
import {localEnvRoot} from '../../src/providers/local/provider.js'
import type {EnvState} from '../../src/state/local-file.js'
import {dops, httpGet, json, ROOT} from '../helpers.js'
import {cleanUpLocalEnv, removeProject} from './local-cleanup.js'

const PROJECT = 'locallbtest'
const hasNginx = existsSync('/usr/sbin/nginx')
const skip = hasNginx ? false : 'nginx is not installed (apt-get install nginx-light)'
const project = mkdtempSync(path.join(os.tmpdir(), 'dops-local-lb-'))
cpSync(path.join(ROOT, 'examples/local/app'), path.join(project, 'app'), {recursive: true})
const plan = (webCount: number) => `version: 1
project: ${PROJECT}
providers:
  sandbox: {type: local}
apps:
  web:
    source: ./app
    strategy: {preset: OneAtATime}
    healthCheck: {http: "http://$DOPS_HOST_ADDRESS:8000/", retries: 10, interval: 200ms}
    traffic: {targetGroup: web-8000}
environments:
  local:
    groups:
      web:
        provider: sandbox
        instance: {count: ${webCount}}
        apps: [web]
      api:
        provider: sandbox
        instance: {count: 1}
        bootstrap:
          - name: api
            run: mkdir -p /srv/api/api && echo "api on $(hostname)" > /srv/api/api/hello && cd /srv/api && nohup python3 -m http.server 8000 --bind "$DOPS_HOST_ADDRESS" >/dev/null 2>&1 </dev/null &
    loadBalancers:
      front:
        scheme: internal
        listeners:
          - port: 8080
            targets: web-8000
            rules: [{path: /api/*, targets: api-8000}]
        targetGroups:
          web-8000: {group: web, port: 8000, deregistrationDelay: 20s, healthCheck: {path: /, interval: 5s}}
          api-8000: {group: api, port: 8000}
`
writeFileSync(path.join(project, 'dops.yml'), plan(2))
const run = (args: string[]) => dops(args, {cwd: project, timeoutMs: 300_000})
const stateOf = () => JSON.parse(readFileSync(path.join(project, '.dops/state', `${PROJECT}-local.json`), 'utf8')) as EnvState
const lbOf = () => (stateOf().resources?.loadBalancers as Record<string, LbRecord> | undefined)?.front
const root = localEnvRoot(PROJECT, 'local', project)

after(async () => {
  const problems = await cleanUpLocalEnv({project: PROJECT, projectDir: project, env: 'local'})
  removeProject(project)
  if (problems.length) console.error(`cleanup: ${problems.join('; ')}`)
})

async function servedBy(n: number): Promise<string[]> {
  const seen = new Set<string>()
  for (let i = 0; i < n; i++) {
    const r = await httpGet(`http://${lbOf()!.host!.address}:8080/`)
    assert.equal(r.status, 200, r.body)
    seen.add(/served by (web-\d+)/.exec(r.body)?.[1] ?? '?')
  }
  return [...seen].sort()
}

/** pids whose command line names a file under the environment's sandbox directory */
function processesUnder(dir: string): number[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .filter((n) => {
      try {
        return readFileSync(`/proc/${n}/cmdline`, 'utf8').includes(`${dir}/`)
      } catch {
        return false
      }
    })
    .map(Number)
}

test('env plan shows the load balancer and the keys the local provider ignores; env up serves through nginx', {skip}, async () => {
  const p = json<EnvReport>(await run(['env', 'plan', '--json']))
  const lines = p.steps.flatMap((s) => (s.kind === 'resources' ? s.changes.flatMap((c) => c.lines) : []))
  assert.ok(lines.some((l) => l.startsWith('+ load balancer front')), lines.join('\n'))
  const ignored = p.resources?.find((r) => r.key === 'loadBalancers')?.ignored ?? []
  assert.ok(ignored.some((k) => k.startsWith('front: scheme')), ignored.join('\n'))
  assert.ok(ignored.some((k) => k.startsWith('front: targetGroups.web-8000.healthCheck.interval')), ignored.join('\n'))

  const up = await run(['env', 'up', '--json'])
  assert.equal(up.code, 0, up.stdout.slice(-3000) + up.stderr)
  const lb = lbOf()!
  assert.equal(lb.type, 'local')
  assert.match(lb.host!.address, /^127\.0\.\d+\.\d+$/)
  assert.ok(existsSync(path.join(root, 'hosts', lb.host!.name, 'instance.json')), 'the load balancer is a sandbox host of the environment')
  assert.deepEqual(await servedBy(10), ['web-1', 'web-2'])
  const api = await httpGet(`http://${lb.host!.address}:8080/api/hello`)
  assert.equal(api.status, 200)
  assert.match(api.body, /^api on api-1$/m, 'the path rule sends /api/* to the api target group')

  const again = json<EnvReport>(await run(['env', 'plan', '--json']))
  assert.deepEqual(again.steps.filter((s) => s.kind === 'resources'), [], 'a second plan changes nothing')
})

test('target groups follow the group as it scales up and down', {skip}, async () => {
  writeFileSync(path.join(project, 'dops.yml'), plan(3))
  const up = await run(['env', 'up', '--yes', '--json'])
  assert.equal(up.code, 0, up.stdout.slice(-3000) + up.stderr)
  assert.deepEqual(await servedBy(15), ['web-1', 'web-2', 'web-3'])
  writeFileSync(path.join(project, 'dops.yml'), plan(2))
  const down = await run(['env', 'up', '--yes', '--json'])
  assert.equal(down.code, 0, down.stdout.slice(-3000) + down.stderr)
  const web = stateOf().groups.web!.instances.map((i) => i.name).sort()
  assert.equal(web.length, 2)
  assert.deepEqual(await servedBy(15), web)
})

test('traffic control of a target group takes a host out of nginx and puts it back', {skip}, async () => {
  const {loaded} = await loadPlan(path.join(project, 'dops.yml'))
  const s = resourceScope(loaded, 'local', loaded.dir)
  const tc = await localLbBackend.traffic(s, 'web-8000', stateOf())
  const [a, b] = stateOf().groups.web!.instances
  const host = {name: a!.name, address: a!.address, group: 'web', groups: ['web'], labels: {}, vars: {}}
  assert.equal(await tc.block(host), undefined)
  assert.deepEqual(await servedBy(10), [b!.name], `${a!.name} is out: every request reaches ${b!.name}`)
  assert.equal(await tc.allow(host), undefined)
  assert.deepEqual(await servedBy(10), [a!.name, b!.name].sort())
})

test('a load balancer whose nginx stopped is seen by env plan and started again by env up', {skip}, async () => {
  const {loaded} = await loadPlan(path.join(project, 'dops.yml'))
  const host = await runningLbHost(resourceScope(loaded, 'local', loaded.dir), 'front')
  const stop = await onLbHost(resourceScope(loaded, 'local', loaded.dir), host!, `nginx -e ${LB_RUN}/error.log -c ${LB_CONF} -s stop; sleep 0.5`, 10_000)
  assert.equal(stop.code, 0, stop.out)
  await assert.rejects(httpGet(`http://${host!.address}:8080/`))
  const p = json<EnvReport>(await run(['env', 'plan', '--json']))
  const lines = p.steps.flatMap((s) => (s.kind === 'resources' ? s.changes.flatMap((c) => c.lines) : []))
  assert.deepEqual(lines, [`~ load balancer front: nginx is not running on ${host!.name} (started again)`])
  const up = await run(['env', 'up', '--json'])
  assert.equal(up.code, 0, up.stdout.slice(-3000) + up.stderr)
  assert.equal((await servedBy(10)).length, 2)
})

test('a rolling deploy through the target group drops no request', {skip}, async (t) => {
  writeFileSync(path.join(project, 'app/site/index.html'), '<h1>shop v2</h1>\n')
  const url = `http://${lbOf()!.host!.address}:8080/`
  let done = false
  const seen = {ok: 0, failed: 0, v1: 0, v2: 0, errors: [] as string[]}
  const loop = async () => {
    const until = Date.now() + 240_000
    for (let i = 0; i < 50_000 && !done && Date.now() < until; i++) {
      try {
        const {status, body} = await httpGet(url)
        if (status !== 200) {
          seen.failed++
          seen.errors.push(`HTTP ${status}`)
        } else {
          seen.ok++
          if (body.includes('shop v2')) seen.v2++
          else seen.v1++
        }
      } catch (e) {
        seen.failed++
        seen.errors.push((e as Error).message)
      }
    }
  }
  const errorLog = () => path.join(root, 'hosts', lbOf()!.host!.name, 'fs/var/lib/dops/lb/error.log')
  const logBefore = existsSync(errorLog()) ? readFileSync(errorLog(), 'utf8').length : 0
  const clients = [loop(), loop()]
  const deploy = await run(['deploy', '--json'])
  done = true
  await Promise.all(clients)
  assert.equal(deploy.code, 0, deploy.stdout.slice(-3000) + deploy.stderr)
  t.diagnostic(`requests during the rollout: ${seen.ok} ok (v1 ${seen.v1}, v2 ${seen.v2}), ${seen.failed} failed`)
  assert.equal(seen.failed, 0, `failed requests: ${seen.errors.slice(0, 5).join('; ')}`)
  // each host left the target group before its app stopped and came back after its health gate
  const rep = json<DeployReport>(deploy)
  assert.equal(rep.plan.trafficControl?.startsWith('target group web-8000'), true, rep.plan.trafficControl)
  // no request was even tried on a host whose app was stopped (nginx's retries would hide it from the clients)
  const errors = readFileSync(errorLog(), 'utf8').slice(logBefore)
  assert.doesNotMatch(errors, /upstream/, `nginx met a stopped target:\n${errors.slice(0, 1000)}`)
  assert.ok(seen.v1 > 0 && seen.v2 > 0, `both revisions served during the rollout (v1 ${seen.v1}, v2 ${seen.v2})`)
  // every host is back in traffic, with the new revision
  const after = await servedBy(10)
  assert.equal(after.length, 2, `both hosts serve after the deploy: ${after.join(', ')}`)
})

test('env down removes the load balancer: no sandbox host, directory, process or record left', {skip}, async () => {
  const name = lbOf()!.host!.name
  const down = await run(['env', 'down', '--yes', '--json'])
  assert.equal(down.code, 0, down.stdout.slice(-3000) + down.stderr)
  assert.equal(existsSync(path.join(root, 'hosts', name)), false)
  assert.deepEqual(processesUnder(root), [])
  assert.equal(lbOf(), undefined)
})
