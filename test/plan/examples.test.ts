import assert from 'node:assert/strict'
import {existsSync, readdirSync} from 'node:fs'
import path from 'node:path'
import {test} from 'node:test'
import {validateJob} from '../../src/validate-job.js'
import {ROOT} from '../helpers.js'

const examples = readdirSync(path.join(ROOT, 'examples')).filter((d) => existsSync(path.join(ROOT, 'examples', d, 'dops.yml')))

test('there are examples', () => assert.ok(examples.length >= 3, examples.join(',')))

for (const ex of examples) {
  test(`example ${ex} validates`, async (t) => {
    const file = path.join(ROOT, 'examples', ex, 'dops.yml')
    if (ex === 'sandbox' && !existsSync('/var/tmp/dops-demo/inventory.ini')) {
      // its inventory is written by the sandbox fleet; check the plan itself without resolving it
      const {loadPlan} = await import('../../src/plan/load.js')
      await loadPlan(file, {env: {}})
      t.diagnostic('sandbox inventory absent: plan checked, hosts not resolved')
      return
    }
    const r = await validateJob({cwd: ROOT, planFile: file, env: {}})
    assert.equal(r.valid, true)
    assert.ok(r.environments.length > 0)
  })
}

test('the static example resolves its inventory with ranges and vars', async () => {
  const {resolveTargets} = await import('../../src/targets.js')
  const t = await resolveTargets({cwd: ROOT, planFile: 'examples/static/dops.yml', processEnv: {}})
  const web = t.hosts.filter((h) => h.group === 'web')
  assert.deepEqual(web.map((h) => h.name), ['web01.example.internal', 'web02.example.internal', 'web03.example.internal', 'web-canary.example.internal'])
  const canary = web[3]!
  assert.equal(canary.address, '10.0.2.50')
  assert.equal(canary.port, 2222)
  assert.equal(canary.vars.http_port, 8080, 'typed as ansible-inventory types it (a Python literal)')
  assert.equal(canary.vars.db_password, 'change-me')
  assert.equal(canary.labels.tier, 'frontend')
})
