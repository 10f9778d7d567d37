/**
 * Monitoring follows the environment, with the real programs: sandbox hosts whose bootstrap starts Debian's
 * node_exporter on their own address, and a real Prometheus reading dops's file_sd directory. Prometheus' own
 * `/api/v1/targets` decides: after `env up` every host is `up` with its labels; a broken target file keeps the
 * previous targets and the next `env up` repairs it; `scale web=3` adds the new host, `scale web=1` drops two; `env down` drops them all. `dops monitor targets --json` agrees with Prometheus.
 */
import assert from 'node:assert/strict'
import {mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, test} from 'node:test'
import {sandboxUnavailable} from '../../src/providers/local/sandbox.js'
import type {TargetsReport} from '../../src/monitor/targets-job.js'
import {dops, json} from '../helpers.js'
import {cleanUpLocalEnv, removeProject} from '../env/local-cleanup.js'
import {prometheusMissing, startPrometheus, until, type ActiveTarget} from './prometheus.js'

const PROJECT = 'montest'
const project = mkdtempSync(path.join(os.tmpdir(), 'dops-monitor-'))
const targetsDir = path.join(project, 'targets')
writeFileSync(
  path.join(project, 'dops.yml'),
  `version: 1
project: ${PROJECT}
providers:
  sandbox: {type: local}
monitoring:
  targets: {dir: ./targets}
  exporters: {node: 9100}
  labels: {team: shop}
environments:
  local:
    groups:
      web:
        provider: sandbox
        instance: {count: 2}
        labels: {role: frontend}
        bootstrap:
          - name: node_exporter
            run: setsid -f prometheus-node-exporter --web.listen-address="$DOPS_HOST_ADDRESS:9100" --collector.disable-defaults --collector.loadavg </dev/null >/dev/null 2>&1
`,
)
const run = (args: string[]) => dops(args, {cwd: project, timeoutMs: 300_000})
const stateFile = path.join(project, '.dops/state', `${PROJECT}-local.json`)
const hostsInState = (): Array<{name: string; address: string}> => (JSON.parse(readFileSync(stateFile, 'utf8')) as {groups: Record<string, {instances: Array<{name: string; address: string}>}>}).groups.web?.instances ?? []
const skip = sandboxUnavailable() ?? prometheusMissing
let prom: Awaited<ReturnType<typeof startPrometheus>> | undefined

after(async () => {
  await prom?.stop()
  if (skip) return removeProject(project)
  const problems = await cleanUpLocalEnv({project: PROJECT, projectDir: project, env: 'local'})
  removeProject(project)
  if (problems.length) console.error(`cleanup: ${problems.join('; ')}`)
})

const ours = (t: ActiveTarget[]) => t.filter((x) => x.labels.project === PROJECT)
/** Prometheus' targets once they are exactly the hosts of the state, all up. */
const upAsState = () =>
  until('Prometheus shows every host of the state up, and nothing else', async () => {
    const want = hostsInState().map((h) => `${h.name}@${h.address}:9100`).sort()
    const t = ours(await prom!.targets())
    const have = t.map((x) => `${x.labels.host}@${x.labels.instance}`).sort()
    return JSON.stringify(have) === JSON.stringify(want) && t.every((x) => x.health === 'up') ? t : undefined
  })

test('targets follow env up, scale and env down, as Prometheus sees them', {skip}, async () => {
  prom = await startPrometheus(path.join(project, 'prom'), targetsDir)
  const up = await run(['env', 'up', '--yes'])
  assert.equal(up.code, 0, up.stderr)
  assert.match(up.stderr, /web: 2 target\(s\) written/)
  const file = path.join(targetsDir, `dops_${PROJECT}_local_web.json`)
  assert.equal(statSync(file).mode & 0o777, 0o644, 'readable by the prometheus user')
  assert.deepEqual(readdirSync(targetsDir), [path.basename(file)], 'no temporary file left, nothing else written')

  const first = await upAsState()
  for (const t of first) {
    const h = hostsInState().find((x) => x.name === t.labels.host)!
    assert.deepEqual(
      {project: t.labels.project, env: t.labels.env, group: t.labels.group, role: t.labels.role, exporter: t.labels.exporter, team: t.labels.team, instance: t.labels.instance, job: t.labels.job},
      {project: PROJECT, env: 'local', group: 'web', role: 'frontend', exporter: 'node', team: 'shop', instance: `${h.address}:9100`, job: 'dops'},
    )
    assert.ok(!Object.keys(t.labels).some((k) => /revision/.test(k)), 'no revision label')
  }
  const listed = json<TargetsReport>(await run(['monitor', 'targets', '--json']))
  assert.deepEqual(listed.groups.map((g) => [g.group, g.registered, g.file]), [['web', true, file]])
  assert.deepEqual(listed.groups[0]!.hosts.sort(), first.map((t) => t.labels.host).sort(), 'dops monitor targets lists what Prometheus scrapes')

  // a broken target file (written by someone else, cut short): Prometheus keeps the targets it had, and the next
  // env command writes the file again (what it holds is not what the state says)
  writeFileSync(file, '[{"targets": ["127.0.0.1:9')
  await new Promise((r) => setTimeout(r, 7000)) // two file_sd refreshes and one discovery update (Prometheus sends at most every 5 s)
  assert.equal(ours(await prom.targets()).filter((x) => x.health === 'up').length, 2, 'the previous targets stay')
  const repair = await run(['env', 'up', '--yes'])
  assert.equal(repair.code, 0, repair.stderr)
  assert.match(repair.stderr, /web: 2 target\(s\) written/)
  assert.equal((await upAsState()).length, 2)

  const more = await run(['scale', 'web=3', '--yes'])
  assert.equal(more.code, 0, more.stderr)
  assert.equal((await upAsState()).length, 3)

  const fewer = await run(['scale', 'web=1', '--yes'])
  assert.equal(fewer.code, 0, fewer.stderr)
  assert.equal((await upAsState()).length, 1)

  const down = await run(['env', 'down', '--yes'])
  assert.equal(down.code, 0, down.stderr)
  await until('Prometheus drops every target of the environment', async () => (ours(await prom!.targets()).length === 0 ? true : undefined))
  assert.deepEqual(readdirSync(targetsDir), [], 'the group has no hosts: its file is gone')
})
