/**
 * The README's example (examples/local) is zero-downtime: brought up from nothing, then a new revision rolls out
 * with `dops deploy` while two clients keep requesting through its nginx load balancer; not one request fails, and
 * right after the deploy every web host is a live upstream again.
 */
import assert from 'node:assert/strict'
import {cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, test} from 'node:test'
import type {DeployReport} from '../../src/deploy/deploy-job.js'
import {dops, httpGet, json, ROOT} from '../helpers.js'

const hasNginx = existsSync('/usr/sbin/nginx')
const project = mkdtempSync(path.join(os.tmpdir(), 'dops-example-zdt-'))
cpSync(path.join(ROOT, 'examples/local'), project, {recursive: true})
// its own project name, so it never meets the example started by hand or by another test
writeFileSync(path.join(project, 'dops.yml'), readFileSync(path.join(project, 'dops.yml'), 'utf8').replace('project: shop', 'project: shopzdt'))
const run = (args: string[]) => dops(args, {cwd: project, timeoutMs: 300_000})
after(async () => {
  if (hasNginx) await run(['env', 'down', '--yes'])
})

const get = httpGet

test("the README example's rolling deploy drops no request through its load balancer", {skip: hasNginx ? false : 'nginx is not installed (apt-get install nginx-light)'}, async (t) => {
  const up = await run(['env', 'up', '--json'])
  assert.equal(up.code, 0, up.stdout.slice(-3000) + up.stderr)
  const lb = json<{hosts: Array<{address: string}>}>(await run(['hosts', '-g', 'lb', '--json'])).hosts[0]!.address
  const url = `http://${lb}:8080/`
  assert.equal((await get(url)).status, 200)

  writeFileSync(path.join(project, 'app/site/index.html'), '<h1>shop v2</h1>\n')
  let done = false
  const seen = {ok: 0, failed: 0, v1: 0, v2: 0, errors: [] as string[]}
  const loop = async () => {
    const until = Date.now() + 180_000
    for (let i = 0; i < 50_000 && !done && Date.now() < until; i++) {
      try {
        const {status, body} = await get(url)
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
  const clients = [loop(), loop()]
  const deploy = await run(['deploy', '--json'])
  done = true
  await Promise.all(clients)
  assert.equal(deploy.code, 0, deploy.stdout.slice(-3000) + deploy.stderr)
  const rep = json<DeployReport>(deploy)
  assert.equal(rep.status, 'succeeded')
  assert.deepEqual(rep.plan.batches.map((b) => b.length), [1, 1], 'one web host at a time')
  t.diagnostic(`requests during the rollout: ${seen.ok} ok (v1 ${seen.v1}, v2 ${seen.v2}), ${seen.failed} failed`)
  assert.equal(seen.failed, 0, `failed requests: ${seen.errors.slice(0, 5).join('; ')}`)
  assert.ok(seen.ok > 20, `requests during the deploy: ${seen.ok}`)
  assert.ok(seen.v1 > 0 && seen.v2 > 0, `both revisions served during the rollout (v1 ${seen.v1}, v2 ${seen.v2})`)

  // right after "succeeded", both web hosts answer through the balancer (none is left marked down or failed)
  const servedBy = new Set<string>()
  for (let i = 0; i < 20; i++) {
    const r = await get(url)
    assert.equal(r.status, 200)
    assert.match(r.body, /shop v2/)
    servedBy.add(/served by (web-\d+)/.exec(r.body)?.[1] ?? '?')
  }
  assert.deepEqual([...servedBy].sort(), ['web-1', 'web-2'])
})
