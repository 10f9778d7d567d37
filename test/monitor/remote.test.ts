/**
 * Target files on a monitoring host reached over SSH: real sshd hosts (the test fleet), static web hosts joining
 * and leaving the environment, node_exporter started by their bootstrap, and a real Prometheus reading the
 * monitoring host's directory (its /srv is a directory of this machine). Prometheus decides what is registered.
 */
import assert from 'node:assert/strict'
import {mkdtempSync, readdirSync, rmSync, statSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, before, test} from 'node:test'
import {sandboxUnavailable} from '../../src/providers/local/sandbox.js'
import type {TargetsReport} from '../../src/monitor/targets-job.js'
import {startFleet, type Fleet} from '../fleet/fleet.js'
import {dops, json} from '../helpers.js'
import {prometheusMissing, startPrometheus, until} from './prometheus.js'

const skip = sandboxUnavailable() ?? prometheusMissing
let fleet: Fleet
let project: string
let prom: Awaited<ReturnType<typeof startPrometheus>> | undefined

const plan = (web: string[]) => `version: 1
project: remotemon
ssh:
  config: ${fleet.sshConfig}
monitoring:
  targets: {host: ${fleet.hosts[0]!.name}, dir: /srv/prometheus/targets}
  exporters: {node: 9100}
environments:
  prod:
    groups:
      mon:
        hosts: [${fleet.hosts[0]!.name}]
      web:
        hosts: [${web.map((w) => `{name: ${w}, address: ${w}, labels: {role: api}}`).join(', ')}]
        bootstrap:
          - run: setsid -f prometheus-node-exporter --web.listen-address="$DOPS_HOST_ADDRESS:9100" --collector.disable-defaults --collector.loadavg </dev/null >/dev/null 2>&1
`

before(async () => {
  if (skip) return
  fleet = await startFleet({count: 3, prefix: 'mon'})
  // the fleet's first host is the monitoring host, the two others the web hosts
  project = mkdtempSync(path.join(os.tmpdir(), 'dops-remote-mon-'))
})
after(async () => {
  await prom?.stop()
  await fleet?.stop()
  if (project) rmSync(project, {recursive: true, force: true})
})

test('targets are written on the monitoring host over SSH as hosts join and leave; Prometheus follows', {skip}, async () => {
  const names = fleet.hosts.map((h) => h.name)
  const [mon, a, b] = names as [string, string, string]
  assert.ok(mon, names.join(', '))
  const dirOnMachine = path.join(fleet.hosts[0]!.fsDir, 'srv/prometheus/targets')
  prom = await startPrometheus(path.join(project, 'prom'), dirOnMachine)
  writeFileSync(path.join(project, 'dops.yml'), plan([a, b]))
  const run = (args: string[]) => dops(args, {cwd: project, timeoutMs: 120_000})
  const up = await run(['env', 'up', '--yes'])
  assert.equal(up.code, 0, up.stderr)
  assert.match(up.stderr, new RegExp(`web: 2 target\\(s\\) written \\(${mon}:/srv/prometheus/targets/dops_remotemon_prod_web\\.json\\)`))
  assert.match(up.stderr, /mon: 1 target\(s\) written/)
  const file = path.join(dirOnMachine, 'dops_remotemon_prod_web.json')
  assert.equal(statSync(file).mode & 0o777, 0o644)
  assert.deepEqual(readdirSync(dirOnMachine).sort(), ['dops_remotemon_prod_mon.json', 'dops_remotemon_prod_web.json'], 'no temporary file left')
  const addr = (n: string) => fleet.hosts.find((h) => h.name === n)!.address
  const upHosts = () => prom!.targets().then((t) => t.filter((x) => x.labels.group === 'web' && x.health === 'up').map((x) => `${x.labels.host}@${x.labels.instance}/${x.labels.role}`).sort())
  await until('both web hosts up in Prometheus', async () => ((await upHosts()).join() === [`${a}@${addr(a)}:9100/api`, `${b}@${addr(b)}:9100/api`].join() ? true : undefined))
  const listed = json<TargetsReport>(await run(['monitor', 'targets', '--json']))
  assert.deepEqual(listed.groups.map((g) => `${g.group}:${g.registered}`), ['mon:true', 'web:true'], 'read back over SSH')

  writeFileSync(path.join(project, 'dops.yml'), plan([a]))
  const leave = await run(['env', 'up', '--yes'])
  assert.equal(leave.code, 0, leave.stderr)
  await until(`${b} dropped by Prometheus`, async () => ((await upHosts()).join() === `${a}@${addr(a)}:9100/api` ? true : undefined))
  const again = await run(['env', 'up', '--yes'])
  assert.doesNotMatch(again.stderr, /target\(s\) written/, 'nothing changed: nothing written')
})
