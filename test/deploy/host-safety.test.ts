/**
 * What a deployment leaves on a host when things go wrong, on real sshd hosts: a planted symlink where an HTTP
 * health check keeps its body, a disk that fills up while a revision arrives.
 */
import assert from 'node:assert/strict'
import {randomBytes} from 'node:crypto'
import {chmodSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync} from 'node:fs'
import http from 'node:http'
import type {AddressInfo} from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {after, before, test} from 'node:test'
import {deployHost, lifecyclePhases} from '../../src/deploy/deploy-host.js'
import {checkHealth} from '../../src/deploy/health.js'
import {hostLayout} from '../../src/deploy/host-layout.js'
import {bundleRevision, prepareRevision} from '../../src/deploy/prepare.js'
import type {Host} from '../../src/inventory/host.js'
import type {SshTransport} from '../../src/transport/ssh.js'
import {startFleet, type Fleet} from '../fleet/fleet.js'
import {fleetHosts} from './fleet-hosts.js'

let fleet: Fleet
let transport: SshTransport
let hosts: Host[]
const work = mkdtempSync(path.join(os.tmpdir(), 'dops-hostsafety-'))
before(async () => {
  fleet = await startFleet({count: 2, prefix: 'hs'})
  ;({transport, hosts} = await fleetHosts(fleet, work))
})
after(async () => {
  await transport?.close()
  await fleet?.stop()
})

test('an http health check does not write through a planted /tmp symlink (mktemp, not /tmp/.dops-health.<pid>)', async () => {
  const server = http.createServer((_req, res) => res.end('healthy body\n'))
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  try {
    const fs = fleet.hosts[0]!.fsDir
    const precious = path.join(fs, 'srv', 'precious')
    writeFileSync(precious, 'root-owned\n')
    chmodSync(precious, 0o644)
    // every pid a session on this host can have: the host has its own PID namespace
    for (let pid = 1; pid <= 3000; pid++) symlinkSync('/srv/precious', path.join(fs, 'tmp', `.dops-health.${pid}`))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
    const r = await checkHealth(await transport.connect(hosts[0]!), {http: url})
    assert.equal(r.ok, true, r.reason)
    assert.equal(r.excerpt, 'healthy body')
    assert.equal(readFileSync(precious, 'utf8'), 'root-owned\n', 'the file behind the planted link is untouched')
  } finally {
    server.close()
  }
})

function revision(bytes: number): string {
  const dir = mkdtempSync(path.join(work, 'rev-'))
  mkdirSync(path.join(dir, 'site'))
  writeFileSync(path.join(dir, 'site', 'blob'), randomBytes(bytes))
  writeFileSync(path.join(dir, 'appspec.yml'), 'version: 0.0\nos: linux\nfiles:\n  - source: site\n    destination: /var/www/tiny\n')
  return dir
}

test('a full disk while a revision arrives leaves no partial directory; a small deployment then succeeds', async () => {
  const conn = await transport.connect(hosts[1]!)
  const m = await conn.exec('mkdir -p /srv/tiny && mount -t tmpfs -o size=2m tmpfs /srv/tiny && echo mounted')
  assert.equal(m.stdout.trim(), 'mounted', m.stderr)
  const layout = hostLayout('tiny', '/srv/tiny')
  const deploy = async (bytes: number, n: number) => {
    const {file, inspected} = await bundleRevision(revision(bytes), path.join(work, 'cache'))
    const rev = await prepareRevision(file, layout, {inspected})
    return deployHost({transport, host: hosts[1]!, batch: 1, layout, revision: rev, deploymentId: `d-tiny${n}`, phases: lifecyclePhases(rev.install, false), env: {}})
  }
  const big = await deploy(3 * 1024 * 1024, 1)
  assert.equal(big.status, 'failed')
  assert.match(big.error ?? '', /cannot unpack the revision: .*No space left on device/)
  const left = await conn.exec(`ls -A ${layout.root}/revisions; df -k /srv/tiny | tail -1`)
  assert.doesNotMatch(left.stdout, /tmp-|^\./m, `nothing partial is left: ${left.stdout}`)
  const small = await deploy(10 * 1024, 2)
  assert.equal(small.status, 'ok', small.error)
  assert.equal((await conn.exec('wc -c < /var/www/tiny/blob')).stdout.trim(), String(10 * 1024))
})

test('a drain whose traffic command fails shows its output with the plan secrets redacted', async () => {
  process.env.DOPS_DRAIN_SECRET = 'drain-s3cret-value'
  const {parsePlan} = await import('../../src/plan/load.js')
  const {resolveEnvironment} = await import('../../src/inventory/resolve.js')
  const {drainHosts} = await import('../../src/deploy/drain-job.js')
  const {loaded} = parsePlan(path.join(work, 'dops.yml'), `version: 1\nproject: t\nssh:\n  config: ${fleet.sshConfig}\napps:\n  web:\n    source: ./build\n    traffic: {group: lb, block: "echo no entry for \${env:DOPS_DRAIN_SECRET} >&2; exit 3", allow: "true"}\nenvironments:\n  e:\n    groups:\n      web:\n        hosts: [${hosts[0]!.name}]\n        apps: [web]\n      lb:\n        hosts: [${hosts[1]!.name}]\n`)
  const all = await resolveEnvironment(loaded, 'e')
  const [r] = await drainHosts({loaded, envName: 'e', all, leaving: all.filter((h) => h.group === 'web'), transport})
  assert.equal(r!.status, 'failed')
  assert.match(r!.error ?? '', /BlockTraffic on .* failed with exit code 3: no entry for \*\*\*/)
  assert.ok(!JSON.stringify(r).includes('drain-s3cret-value'))
})
