/**
 * Alert policies in the plan: located validation (app of the group, script that exists, static groups), and
 * `dops monitor rules` writing rules that Prometheus' own `promtool check rules` accepts, with the group's labels.
 */
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, test} from 'node:test'
import {parse} from 'yaml'
import {formatProblem, InvalidInputError} from '../../src/errors.js'
import {loadPlan} from '../../src/plan/load.js'
import {dops} from '../helpers.js'

const dir = mkdtempSync(path.join(os.tmpdir(), 'dops-alert-plan-'))
after(() => rmSync(dir, {recursive: true, force: true}))
mkdirSync(path.join(dir, 'scripts'))
writeFileSync(path.join(dir, 'scripts/clean.sh'), 'rm -rf /var/tmp/cache\n')
mkdirSync(path.join(dir, 'app'))

const plan = (alerts: string, automation = '') => `version: 1
project: shop
providers:
  sandbox: {type: local}
apps:
  web: {source: ./app}
environments:
  prod:
${automation}    groups:
      web:
        provider: sandbox
        instance: {count: 2, autoScaling: {min: 1, max: 4}}
        apps: [web]
        on:
          alert:
${alerts}
      db:
        hosts: [10.0.0.9]
`

const good = `            InstanceDown: {action: replace, expr: 'up{$selector, exporter="node"} == 0', for: 2s}
            AppDown: {action: restart, expr: 'probe_success{$selector} == 0', labels: {severity: page}, annotations: {summary: 'app down on {{ $labels.host }}'}}
            HighLoad: {action: scale, by: '+1', expr: 'avg(node_load1{$selector}) > 4', for: 1m}
            DiskFull: {action: run, script: scripts/clean.sh}`

test('a plan with alert policies and automation guards loads', async () => {
  const file = path.join(dir, 'dops.yml')
  writeFileSync(file, plan(good, '    automation: {dryRun: true, cooldown: 2m, grace: 30s, budget: 20%, storm: 60}\n'))
  const {loaded} = await loadPlan(file, {env: {}})
  assert.equal(loaded.plan.environments!.prod!.groups!.web!.on!.alert!.InstanceDown!.action, 'replace')
  assert.equal(loaded.plan.environments!.prod!.automation!.budget, '20%')
})

async function problems(alerts: string, automation = ''): Promise<string[]> {
  const file = path.join(dir, 'bad.yml')
  writeFileSync(file, plan(alerts, automation))
  const err = await loadPlan(file, {env: {}}).then(() => undefined, (e: unknown) => e)
  assert.ok(err instanceof InvalidInputError, 'the plan was accepted')
  return err.problems.filter((p) => p.severity !== 'warning').map(formatProblem)
}

test('bad policies are reported at their line and column', async () => {
  assert.deepEqual(await problems('            AppDown: {action: restart, app: api}'), [`${path.join(dir, 'bad.yml')}:16:45: environments.prod.groups.web.on.alert.AppDown.app: app \`api\` is not an app of group web (the group's apps: web)`])
  const [missing] = await problems('            DiskFull: {action: run, script: scripts/nope.sh}')
  assert.match(missing!, /bad\.yml:16:45: .*DiskFull\.script: script `scripts\/nope\.sh` does not exist/)
  const [noScript] = await problems('            DiskFull: {action: run}')
  assert.match(noScript!, /bad\.yml:16:\d+: .*DiskFull\.action: run needs `script`/)
  const [action] = await problems('            X: {action: reboot}')
  assert.match(action!, /bad\.yml:16:\d+: .*X\.action/)
  const [by] = await problems('            X: {action: replace, by: "+1"}')
  assert.match(by!, /`by` is for action scale, not replace/)
  const [auto] = await problems(good, '    automation: {pausd: true}\n')
  assert.match(auto!, /bad\.yml:9:18: environments\.prod\.automation\.pausd: unknown key `pausd`; did you mean `paused`\?/)
})

test('dops monitor rules writes rules promtool accepts, with project, env and group labels', {skip: existsSync('/usr/bin/promtool') ? undefined : 'promtool is not installed (apt-get install prometheus)'}, async () => {
  writeFileSync(path.join(dir, 'dops.yml'), plan(good))
  const out = path.join(dir, 'rules', 'dops.yml')
  const r = await dops(['monitor', 'rules', '-o', out], {cwd: dir})
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stderr, /3 rule\(s\) written to /)
  assert.equal(statSync(out).mode & 0o777, 0o644)
  const check = spawnSync('/usr/bin/promtool', ['check', 'rules', out], {encoding: 'utf8'})
  assert.equal(check.status, 0, `promtool: ${check.stdout}${check.stderr}`)
  assert.match(check.stdout, /SUCCESS: 3 rules found/)
  const rules = parse(readFileSync(out, 'utf8')) as {groups: Array<{name: string; rules: Array<Record<string, unknown>>}>}
  assert.equal(rules.groups[0]!.name, 'dops_shop_prod')
  const down = rules.groups[0]!.rules.find((x) => x.alert === 'InstanceDown')!
  assert.deepEqual(down, {alert: 'InstanceDown', expr: 'up{project="shop",env="prod",group="web", exporter="node"} == 0', for: '2s', labels: {project: 'shop', env: 'prod', group: 'web', dops_action: 'replace'}})
  assert.deepEqual(rules.groups[0]!.rules.find((x) => x.alert === 'AppDown')!.labels, {severity: 'page', project: 'shop', env: 'prod', group: 'web', dops_action: 'restart'})
  // a broken expr is what promtool catches: the oracle can fail
  writeFileSync(path.join(dir, 'dops.yml'), plan("            InstanceDown: {action: replace, expr: 'up{$selector == 0'}"))
  const bad = await dops(['monitor', 'rules', '-o', out], {cwd: dir})
  assert.equal(bad.code, 0, bad.stderr)
  assert.notEqual(spawnSync('/usr/bin/promtool', ['check', 'rules', out], {encoding: 'utf8'}).status, 0)
})
