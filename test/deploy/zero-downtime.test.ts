/**
 * Zero downtime, shown: nginx on a load-balancer host in front of 5 web hosts of the fleet; a rolling deploy of a
 * new revision while a bounded request loop hits nginx; not one request fails.
 */
import assert from 'node:assert/strict'
import {cpSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, before, test} from 'node:test'
import {existsSync} from 'node:fs'
import type {DeployReport} from '../../src/deploy/deploy-job.js'
import {dops, httpGet, json, ROOT} from '../helpers.js'
import {startFleet, type Fleet} from '../fleet/fleet.js'

const example = path.join(ROOT, 'examples/zero-downtime')
let fleet: Fleet
let project: string
const hasNginx = existsSync('/usr/sbin/nginx')

before(async () => {
  if (!hasNginx) return
  fleet = await startFleet({count: 6, prefix: 'z'})
  project = mkdtempSync(path.join(os.tmpdir(), 'dops-zdt-'))
  cpSync(path.join(example, 'app'), path.join(project, 'app'), {recursive: true})
  // the example's plan, pointed at this fleet
  writeFileSync(
    path.join(project, 'dops.yml'),
    readFileSync(path.join(example, 'dops.yml'), 'utf8')
      .replace('/var/tmp/dops-demo/ssh_config', fleet.sshConfig)
      .replace('hosts: [host01]', 'hosts: [z01]')
      .replace('hosts: [host02, host03, host04, host05]', 'hosts: [z02, z03, z04, z05, z06]'),
  )
})
after(async () => fleet?.stop())

test('a rolling deploy behind nginx drops no request', {skip: hasNginx ? false : 'nginx is not installed (apt-get install nginx-light)'}, async (t) => {
  const lb = fleet.hosts[0]!.address
  const setup = await dops(['run', '-g', 'lb', '--script', path.join(example, 'lb-setup.sh'), '--', lb, ...fleet.hosts.slice(1).map((h) => h.address)], {cwd: project})
  assert.equal(setup.code, 0, setup.stdout + setup.stderr)
  const v1 = await dops(['deploy', '--json'], {cwd: project})
  assert.equal(v1.code, 0, v1.stdout.slice(-3000))
  const url = `http://${lb}:8080/`
  const first = await fetch(url)
  assert.match(await first.text(), /zero-downtime v1/)

  writeFileSync(path.join(project, 'app/site/index.html'), '<h1>zero-downtime v2</h1>\n')
  let done = false
  const seen = {ok: 0, failed: 0, v1: 0, v2: 0, errors: [] as string[]}
  const get = () => httpGet(url)
  // bounded in count and time; two clients
  const loop = async () => {
    const until = Date.now() + 120_000
    for (let i = 0; i < 50_000 && !done && Date.now() < until; i++) {
      try {
        const {status, body} = await get()
        if (status === 200) {
          seen.ok++
          if (body.includes('v2')) seen.v2++
          else seen.v1++
        } else {
          seen.failed++
          seen.errors.push(`HTTP ${status}`)
        }
      } catch (e) {
        seen.failed++
        seen.errors.push((e as Error).message)
      }
    }
  }
  const clients = [loop(), loop()]
  const deploy = await dops(['deploy', '--json'], {cwd: project})
  done = true
  await Promise.all(clients)
  const rep = json<DeployReport>(deploy)
  assert.equal(deploy.code, 0, deploy.stdout.slice(-3000))
  assert.equal(rep.status, 'succeeded')
  assert.deepEqual(rep.plan.batches.map((b) => b.length), [1, 1, 1, 1, 1])
  t.diagnostic(`requests during the rollout: ${seen.ok} ok (v1 ${seen.v1}, v2 ${seen.v2}), ${seen.failed} failed`)
  assert.equal(seen.failed, 0, `failed requests: ${seen.errors.slice(0, 5).join('; ')}`)
  assert.ok(seen.ok > 50, `requests during the deploy: ${seen.ok}`)
  assert.ok(seen.v1 > 0 && seen.v2 > 0, `both revisions served during the rollout (v1 ${seen.v1}, v2 ${seen.v2})`)
  assert.match(await (await fetch(url)).text(), /zero-downtime v2/)
})
