/**
 * The traffic commands (`traffic.block` / `traffic.allow`) reach the traffic host on stdin: a secret in them never
 * appears in any process's argv, on the traffic host or here (the hosts' PID namespaces are nested in ours, and the
 * host's own /proc is read over ssh too).
 */
import assert from 'node:assert/strict'
import {mkdtempSync, readFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, before, test} from 'node:test'
import {runTraffic, type CommandTraffic} from '../../src/deploy/app-plan.js'
import type {Host} from '../../src/inventory/host.js'
import {resolveEnvironment} from '../../src/inventory/resolve.js'
import {parsePlan} from '../../src/plan/load.js'
import type {SshTransport} from '../../src/transport/ssh.js'
import {startFleet, type Fleet} from '../fleet/fleet.js'
import {localArgvs} from '../fleet/vars-argv.js'
import {fleetHosts} from './fleet-hosts.js'

let fleet: Fleet
let transport: SshTransport
let hosts: Host[]
const work = mkdtempSync(path.join(os.tmpdir(), 'dops-traffic-argv-'))
before(async () => {
  fleet = await startFleet({count: 2, prefix: 'ta'})
  ;({transport, hosts} = await fleetHosts(fleet, work))
})
after(async () => {
  await transport?.close()
  await fleet?.stop()
})

test('a secret in a traffic command never appears in a process argv while the command runs', async () => {
  const secret = `traffic-s3cret-${Date.now()}`
  process.env.DOPS_TRAFFIC_SECRET = secret
  const {loaded} = parsePlan(path.join(work, 'dops.yml'), `version: 1\nproject: t\nssh:\n  config: ${fleet.sshConfig}\napps:\n  web:\n    source: ./build\n    traffic: {group: lb, block: "sleep 2; : \${env:DOPS_TRAFFIC_SECRET}; echo \\"$DOPS_HOST $DOPS_APP\\" > /srv/blocked", allow: "true"}\nenvironments:\n  e:\n    groups:\n      web:\n        hosts: [${hosts[0]!.name}]\n        apps: [web]\n      lb:\n        hosts: [${hosts[1]!.name}]\n`)
  const all = await resolveEnvironment(loaded, 'e')
  const traffic = loaded.plan.apps!.web!.traffic as CommandTraffic
  assert.match(traffic.block, new RegExp(secret), 'the plan resolved the secret into the command')
  const lb = all.filter((h) => h.group === 'lb')
  const web = all.find((h) => h.group === 'web')!
  const probe = await transport.connect(lb[0]!)
  let running = true
  const seen: string[] = []
  let probes = 0
  const watch = (async () => {
    while (running) {
      probes++
      for (const a of localArgvs()) if (a.includes(secret)) seen.push(`here: ${a}`)
      const r = await probe.exec(`for f in /proc/[0-9]*/cmdline; do tr '\\0' ' ' < "$f" 2>/dev/null; echo; done`)
      for (const a of r.stdout.split('\n')) if (a.includes(secret)) seen.push(`on ${lb[0]!.name}: ${a}`)
      await new Promise((r) => setTimeout(r, 50))
    }
  })()
  const err = await runTraffic(transport, lb, 'web', traffic, 'block', web)
  running = false
  await watch
  assert.equal(err, undefined)
  assert.ok(probes >= 3, `only ${probes} probes while the command ran`)
  assert.deepEqual([...new Set(seen)], [])
  // the command still ran, with the host and app in its environment
  assert.equal(readFileSync(path.join(fleet.hosts[1]!.fsDir, 'srv/blocked'), 'utf8'), `${web.name} web\n`)
})

test('a failing traffic command is reported with its exit code and output', async () => {
  const lb = hosts.slice(1)
  const err = await runTraffic(transport, lb, 'web', {group: 'lb', block: 'echo refused >&2; exit 3', allow: 'true'}, 'block', hosts[0]!)
  assert.equal(err, `BlockTraffic on ${lb[0]!.name} failed with exit code 3: refused`)
})
