/**
 * Recovery from real alerts, end to end with the real programs: four sandbox web hosts running the app and
 * node_exporter, Prometheus scraping them (file_sd written by dops) with the rule `dops monitor rules` wrote
 * (`up == 0 for 2s`), Alertmanager posting to dops's `POST /hooks/alertmanager` with its bearer token.
 * Guards first (nothing may be destroyed): a bad token and a malformed payload, an alert for a healthy host
 * (re-verified, suppressed), a storm (3 of 4), an alert during a deploy (waits, then re-verified), a flapping alert. Then one web host is killed (its unshare process only): the alert fires, dops
 * replaces the host, and the new host is `up` in Prometheus and serves the app; a replayed delivery does nothing.
 */
import assert from 'node:assert/strict'
import {cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, test} from 'node:test'
import {sandboxUnavailable} from '../../src/providers/local/sandbox.js'
import type {Decision} from '../../src/recover/types.js'
import {dops, ROOT} from '../helpers.js'
import {cleanUpLocalEnv, removeProject} from '../env/local-cleanup.js'
import {prometheusMissing, startPrometheus, until} from '../monitor/prometheus.js'
import {alertmanagerMissing, startAlertmanager} from './alertmanager.js'
import {READ_TOKEN, startServer} from './server.js'

const PROJECT = 'rectest'
const TOKEN = 'am-test-token-0123456789'
const project = mkdtempSync(path.join(os.tmpdir(), 'dops-recover-'))
cpSync(path.join(ROOT, 'examples/local/app'), path.join(project, 'app'), {recursive: true})
mkdirSync(path.join(project, 'scripts'))
writeFileSync(path.join(project, 'scripts/clean.sh'), 'echo "cleaned $ALERT_MOUNTPOINT for $ALERT_ALERTNAME on $DOPS_HOST" > /tmp/dops-cleaned\n')
const planFile = path.join(project, 'dops.yml')
writeFileSync(
  planFile,
  `version: 1
project: ${PROJECT}
providers:
  sandbox: {type: local}
monitoring:
  targets: {dir: ./targets}
  exporters: {node: 9100}
apps:
  web:
    source: ./app
    healthCheck: {http: "http://$DOPS_HOST_ADDRESS:8000/", retries: 10, interval: 200ms}
environments:
  local:
    automation: {grace: 1s, cooldown: 5m, budget: 4}
    groups:
      web:
        provider: sandbox
        instance: {count: 4}
        apps: [web]
        bootstrap:
          - name: node_exporter
            run: setsid -f prometheus-node-exporter --web.listen-address="$DOPS_HOST_ADDRESS:9100" --collector.disable-defaults --collector.loadavg </dev/null >/dev/null 2>&1
        on:
          alert:
            InstanceDown: {action: replace, expr: 'up{$selector, exporter="node"} == 0', for: 2s}
            AppDown: {action: restart}
            HighLoad: {action: scale, by: '+1'}
            DiskFull: {action: run, script: scripts/clean.sh}
`,
)
const run = (args: string[]) => dops(args, {cwd: project, timeoutMs: 300_000})
const stateFile = path.join(project, '.dops/state', `${PROJECT}-local.json`)
type Inst = {name: string; address: string; createdAt: string; data: {pid: number}}
const hostsInState = (): Inst[] => (JSON.parse(readFileSync(stateFile, 'utf8')) as {groups: Record<string, {instances: Inst[]}>}).groups.web?.instances ?? []
const skip = sandboxUnavailable() ?? prometheusMissing ?? alertmanagerMissing
const stops: Array<() => Promise<void>> = []

after(async () => {
  for (const s of stops.reverse()) await s().catch(() => undefined)
  if (skip) return removeProject(project)
  const problems = await cleanUpLocalEnv({project: PROJECT, projectDir: project, env: 'local'})
  removeProject(project)
  if (problems.length) console.error(`cleanup: ${problems.join('; ')}`)
})

test('alerts from Prometheus and Alertmanager: guards hold, a killed host is replaced', {skip, timeout: 600_000}, async (t) => {
  const up = await run(['env', 'up', '--yes'])
  assert.equal(up.code, 0, up.stderr)
  const rules = await run(['monitor', 'rules', '-o', path.join(project, 'prom/rules.yml')])
  assert.equal(rules.code, 0, rules.stderr)

  const server = await startServer(project, planFile, TOKEN)
  stops.push(server.close)
  const am = await startAlertmanager(path.join(project, 'am'), `${server.url}/hooks/alertmanager`, TOKEN)
  stops.push(am.stop)
  const prom = await startPrometheus(path.join(project, 'prom'), path.join(project, 'targets'), `rule_files: ['${path.join(project, 'prom/rules.yml')}']
alerting:
  alertmanagers:
    - static_configs: [{targets: ['127.0.0.1:${am.port}']}]
`)
  stops.push(prom.stop)
  const ours = async () => (await prom.targets()).filter((x) => x.labels.project === PROJECT)
  await until('every host of the state up in Prometheus', async () => {
    const want = hostsInState().map((h) => h.name).sort().join()
    const tg = await ours()
    return tg.map((x) => x.labels.host).sort().join() === want && tg.every((x) => x.health === 'up') ? true : undefined
  }, 60_000)

  const post = (body: unknown, token = TOKEN) => fetch(`${server.url}/hooks/alertmanager`, {method: 'POST', headers: {'content-type': 'application/json', authorization: `Bearer ${token}`}, body: JSON.stringify(body)})
  const decisions = async (): Promise<Array<Decision & {ended?: Decision}>> => ((await (await fetch(`${server.url}/recovery?limit=1000`, {headers: {authorization: `Bearer ${READ_TOKEN}`}})).json()) as {decisions: Array<Decision & {ended?: Decision}>}).decisions
  const payload = (alerts: Array<{host: string; fp: string; status?: string; startsAt?: string}>) => ({
    version: '4', groupKey: '{}:{alertname="InstanceDown"}', truncatedAlerts: 0, status: 'firing', receiver: 'dops', groupLabels: {}, commonLabels: {}, commonAnnotations: {}, externalURL: 'http://am',
    alerts: alerts.map((a) => ({status: a.status ?? 'firing', labels: {alertname: 'InstanceDown', project: PROJECT, env: 'local', group: 'web', host: a.host}, annotations: {}, startsAt: a.startsAt ?? new Date().toISOString(), endsAt: '0001-01-01T00:00:00Z', generatorURL: 'http://prom', fingerprint: a.fp})),
  })
  const before = hostsInState().map((h) => h.name).sort()

  // bad token, malformed payload: refused, nothing decided
  assert.equal((await post(payload([{host: 'web-1', fp: 'x'}]), 'wrong')).status, 401)
  const malformed = await post({version: '4', status: 'firing', alerts: [{labels: {}}]})
  assert.equal(malformed.status, 400)
  assert.equal(((await malformed.json()) as {error: {code: string}}).error.code, 'INVALID_PAYLOAD')

  // an alert for a healthy host: the replace job re-verifies (SSH and the app's health check) and does nothing
  assert.equal((await post(payload([{host: 'web-1', fp: 'healthy1'}]))).status, 200)
  const healthy = await until('the healthy host re-verified', async () => (await decisions()).find((d) => d.fingerprint === 'healthy1' && d.ended))
  assert.equal(healthy.outcome, 'acted')
  assert.equal(healthy.ended!.outcome, 'verified-healthy', JSON.stringify(healthy))
  assert.match(healthy.ended!.reason, /re-verified just before acting: SSH answers and web's health check passes/)

  await post(payload([{host: 'web-1', fp: 'healthy1', status: 'resolved'}]))
  await until('the healthy host alert resolved', async () => ((await decisions()).some((d) => d.fingerprint === 'healthy1' && d.guard === 'resolved') ? true : undefined))

  // a storm: 3 of 4 hosts alerting in one delivery: acted on none
  assert.equal((await post(payload([{host: 'web-2', fp: 's2'}, {host: 'web-3', fp: 's3'}, {host: 'web-4', fp: 's4'}]))).status, 200)
  const storm = await until('the storm decided', async () => {
    const d = (await decisions()).filter((x) => ['s2', 's3', 's4'].includes(x.fingerprint))
    return d.length === 3 ? d : undefined
  })
  for (const d of storm) assert.deepEqual([d.outcome, d.guard], ['suppressed', 'storm'], d.reason)
  assert.match(storm[0]!.reason, /3 of 4 hosts of web alert at once/)
  // they resolve: the storm is over
  await post(payload(['s2', 's3', 's4'].map((fp, i) => ({host: `web-${i + 2}`, fp, status: 'resolved'}))))
  await until('resolved alerts recorded', async () => ((await decisions()).filter((d) => d.guard === 'resolved').length === 4 ? true : undefined))
  assert.deepEqual(hostsInState().map((h) => h.name).sort(), before, 'nothing was replaced or destroyed by the guarded alerts')

  // an alert during a deploy: the action waits behind the deploy job of its environment, says so, then re-verifies
  const deploy = await server.ctx.runner.start({kind: 'deploy', env: 'local', params: {app: 'web'}}, {type: 'api', by: 'test'})
  assert.equal((await post(payload([{host: 'web-4', fp: 'during-deploy'}]))).status, 200)
  const waited = await until('the alert during the deploy decided and its job ended', async () => (await decisions()).find((d) => d.fingerprint === 'during-deploy' && d.ended), 120_000)
  assert.match(waited.reason, new RegExp(`waits behind job ${deploy.id} \\(deploy\\) of environment local`))
  const deployJob = await server.ctx.runner.wait(deploy.id)
  assert.equal(deployJob.state, 'succeeded')
  const replaceJob = server.ctx.runner.get(waited.jobId!)!
  assert.ok(replaceJob.startedAt! >= deployJob.endedAt!, 'the action started after the deploy ended')
  assert.equal(waited.ended!.outcome, 'verified-healthy')
  await post(payload([{host: 'web-4', fp: 'during-deploy', status: 'resolved'}]))
  await until('resolved', async () => ((await decisions()).some((d) => d.fingerprint === 'during-deploy' && d.guard === 'resolved') ? true : undefined))
  assert.deepEqual(hostsInState().map((h) => h.name).sort(), before, 'nothing was replaced or destroyed')

  // a flapping alert: it begins, resolves, begins again...; the third beginning within the cooldown is not acted on
  // (after the grace (1 s) that the deploy just now gave every host)
  await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(deployJob.endedAt!) + 1500 - Date.now())))
  for (let n = 1; n <= 3; n++) {
    const startsAt = new Date(Date.now() - 1000 * (10 - n)).toISOString()
    await post(payload([{host: 'web-4', fp: 'flap', startsAt}]))
    const d = await until(`flap ${n} decided`, async () => (await decisions()).find((x) => x.fingerprint === 'flap' && x.startsAt === startsAt && x.env && (x.outcome !== 'acted' || x.ended)))
    if (n < 3) assert.equal(d.ended?.outcome, 'verified-healthy', d.reason)
    else assert.deepEqual([d.outcome, d.guard], ['suppressed', 'flapping'], d.reason)
    await post(payload([{host: 'web-4', fp: 'flap', startsAt, status: 'resolved'}]))
  }
  assert.deepEqual(hostsInState().map((h) => h.name).sort(), before, 'nothing was replaced or destroyed')

  // kill one web host: its sandbox's unshare process (recorded in the state), nothing else
  const victim = hostsInState().find((h) => h.name === 'web-2')!
  const killedAt = Date.now()
  process.kill(victim.data.pid, 'SIGKILL')
  const acted = await until('the real alert arrives and dops acts', async () => (await decisions()).find((d) => d.host === 'web-2' && d.outcome === 'acted' && d.fingerprint !== 'healthy1'), 60_000)
  assert.equal(acted.action, 'replace')
  assert.match(acted.fingerprint, /^[0-9a-f]{16}$/, "Alertmanager's fingerprint")
  const done = await until('the replace job ends', async () => (await decisions()).find((d) => d.id === acted.id && d.ended)?.ended, 180_000)
  assert.equal(done.outcome, 'succeeded', done.reason)
  const after = hostsInState()
  assert.equal(after.length, 4)
  const fresh = after.find((h) => !before.includes(h.name) || (h.name === 'web-2' && h.data.pid !== victim.data.pid))!
  assert.ok(fresh, `a new host in the state: ${after.map((h) => h.name).join(', ')}`)
  await until('the new host up in Prometheus, the killed one gone', async () => {
    const tg = await ours()
    const hostUp = tg.find((x) => x.labels.host === fresh.name && x.labels.instance === `${fresh.address}:9100`)?.health === 'up'
    return hostUp && !tg.some((x) => x.labels.instance === `${victim.address}:9100` && victim.address !== fresh.address) ? true : undefined
  }, 60_000)
  const page = await until('the new host serves the app', async () => {
    const r = await fetch(`http://${fresh.address}:8000/`).catch(() => undefined)
    return r?.ok ? r.text() : undefined
  })
  assert.match(page, /served by/)
  const recoveredMs = Date.now() - killedAt
  t.diagnostic(`figures: host killed -> replacement up in Prometheus and serving ${recoveredMs} ms; alert decided ${acted.timings?.decideMs} ms after its delivery; delivery -> replacement deployed and healthy (job end) ${done.timings?.totalMs} ms (waited ${done.timings?.waitedMs} ms, env up ${done.timings?.actMs} ms)`)

  // a replayed delivery of the alert that was acted on: suppressed, nothing started
  await post(payload([{host: 'web-2', fp: acted.fingerprint, startsAt: acted.startsAt}]))
  const replay = await until('the replay decided', async () => (await decisions()).find((d) => d.fingerprint === acted.fingerprint && d.guard === 'dedupe'))
  assert.match(replay.reason, new RegExp(`decision ${acted.id}`))
  assert.equal(server.ctx.runner.list({kind: 'replace'}).length, 5, 'five replace jobs: four for healthy hosts (re-verified, nothing done) and web-2')

  // app failure: the app's process on web-3 is killed, its alert (posted to Alertmanager's API) restarts it
  const amAlert = (labels: Record<string, string>) => fetch(`${am.url}/api/v2/alerts`, {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify([{labels: {project: PROJECT, env: 'local', group: 'web', ...labels}, startsAt: new Date().toISOString()}])})
  const web3 = hostsInState().find((h) => h.name === 'web-3')!
  const killApp = await run(['run', '-H', 'web-3', '--', 'kill $(cat /tmp/app.pid)'])
  assert.equal(killApp.code, 0, killApp.stderr)
  await until('the app on web-3 is down', async () => ((await fetch(`http://${web3.address}:8000/`).then(() => false, () => true)) ? true : undefined))
  assert.equal((await amAlert({alertname: 'AppDown', host: 'web-3'})).status, 200)
  const restart = await until('the restart ends', async () => (await decisions()).find((d) => d.alert === 'AppDown' && d.ended), 60_000)
  assert.deepEqual([restart.action, restart.host, restart.ended!.outcome], ['restart', 'web-3', 'succeeded'], restart.ended!.reason)
  assert.ok((await fetch(`http://${web3.address}:8000/`)).ok, 'web-3 serves again')
  t.diagnostic(`figures: app alert delivered -> restarted and healthy ${restart.ended!.timings?.totalMs} ms`)

  // a script: DiskFull runs scripts/clean.sh on the host, with the alert's labels as ALERT_* variables
  assert.equal((await amAlert({alertname: 'DiskFull', host: 'web-4', mountpoint: '/var/log'})).status, 200)
  const cleaned = await until('the script ran', async () => (await decisions()).find((d) => d.alert === 'DiskFull' && d.ended), 60_000)
  assert.deepEqual([cleaned.action, cleaned.ended!.outcome], ['run', 'succeeded'], cleaned.ended!.reason)
  const note = await run(['run', '-H', 'web-4', '--', 'cat /tmp/dops-cleaned'])
  assert.match(note.stdout, /cleaned \/var\/log for DiskFull on web-4/)

  // scaling: HighLoad scales web up by one; a second firing inside the cooldown does nothing
  assert.equal((await amAlert({alertname: 'HighLoad'})).status, 200)
  const scaled = await until('the scale ends', async () => (await decisions()).find((d) => d.alert === 'HighLoad' && d.outcome === 'acted' && d.ended), 120_000)
  assert.equal(scaled.ended!.outcome, 'succeeded', scaled.ended!.reason)
  assert.deepEqual(scaled.params?.groups, {web: 5})
  assert.equal(hostsInState().length, 5)
  t.diagnostic(`figures: scale alert delivered -> new host deployed and healthy ${scaled.ended!.timings?.totalMs} ms`)
  assert.equal((await amAlert({alertname: 'HighLoad', reason: 'again'})).status, 200)
  const second = await until('the second firing decided', async () => (await decisions()).find((d) => d.alert === 'HighLoad' && d.guard === 'cooldown'))
  assert.match(second.reason, /group web was acted on \d+s ago \(scale/)
  assert.equal(hostsInState().length, 5, 'no second host')
  assert.ok(server.logs.every((l) => !l.includes(TOKEN)), 'the token is never logged')

  // the same path from the CLI: env up --replace a live host (create-before-destroy), a host that is not there refused
  const old = hostsInState().find((h) => h.name === 'web-1')!
  const plan = await run(['env', 'plan', '--replace', 'web-1', '--json'])
  assert.equal(plan.code, 0, plan.stderr)
  assert.deepEqual((JSON.parse(plan.stdout) as {changes: Array<{replace?: unknown}>}).changes[0]!.replace, [{name: 'web-1', why: ['replacement requested']}])
  const rep = await run(['env', 'up', '--replace', 'web-1', '--yes'])
  assert.equal(rep.code, 0, rep.stderr)
  assert.match(rep.stderr, /replac/i)
  const now = hostsInState()
  assert.equal(now.length, 5)
  assert.ok(!now.some((h) => h.name === 'web-1' && h.data.pid === old.data.pid), 'web-1 was replaced')
  const nope = await run(['env', 'up', '--replace', 'web-99', '--yes'])
  assert.equal(nope.code, 2)
  assert.match(nope.stderr, /no host `web-99` in environment local to replace/)

  // the environment's status in the API carries its newest decisions, as GET /recovery has them
  const all = (await decisions()).filter((d) => d.env === 'local')
  const envView = (await (await fetch(`${server.url}/envs/local`, {headers: {authorization: `Bearer ${READ_TOKEN}`}})).json()) as {recovery?: Array<Decision & {ended?: Decision}>}
  assert.ok(all.length > 10, `${all.length} decisions`)
  assert.deepEqual(envView.recovery?.map((d) => [d.id, d.outcome, d.guard ?? '', d.ended?.outcome ?? '']), all.slice(0, 10).map((d) => [d.id, d.outcome, d.guard ?? '', d.ended?.outcome ?? '']))
})
