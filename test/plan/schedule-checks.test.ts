/**
 * `schedules:` checks through `dops validate`: each bad schedule exits 2 with file:line:col and the field; valid ones
 * pass. Cron expressions are judged against croner itself (the oracle), not against hand-typed expectations.
 */
import assert from 'node:assert/strict'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, test} from 'node:test'
import {Cron} from 'croner'
import {dops} from '../helpers.js'

const dir = mkdtempSync(path.join(os.tmpdir(), 'dops-sched-plan-'))
after(() => rmSync(dir, {recursive: true, force: true}))
mkdirSync(path.join(dir, 'scripts'))
writeFileSync(path.join(dir, 'scripts', 'clean.sh'), 'echo clean\n')
mkdirSync(path.join(dir, 'app', 'site'), {recursive: true})
writeFileSync(path.join(dir, 'app', 'appspec.yml'), 'version: 0.0\nos: linux\nfiles:\n  - source: site\n    destination: /var/www/app\n')
writeFileSync(path.join(dir, 'app', 'site', 'index.html'), 'hi\n')

const head = (envs = 'prod') =>
  `version: 1\nproject: s\napps:\n  api: {source: ./app}\n  other: {source: ./app}\nenvironments:\n` +
  envs
    .split(',')
    .map((e) => `  ${e}:\n    groups:\n      web:\n        hosts: [10.0.0.1]\n        apps: [api]\n      db:\n        hosts: [10.0.0.2]\n`)
    .join('')

let n = 0
/** Validate a plan: the problem expected at the first occurrence of `marker` (its line and column). */
async function expectProblem(plan: string, marker: string, message: RegExp, field: string): Promise<void> {
  const file = path.join(dir, `p${++n}.yml`)
  writeFileSync(file, plan)
  const idx = plan.indexOf(marker)
  assert.ok(idx >= 0, `marker ${marker} in the plan`)
  const line = plan.slice(0, idx).split('\n').length
  const col = idx - plan.lastIndexOf('\n', idx - 1)
  const r = await dops(['validate', '-f', file])
  assert.equal(r.code, 2, `exit 2 expected for ${marker}: ${r.stdout}${r.stderr}`)
  const want = `${path.basename(file)}:${line}:${col}: ${field}: `
  const found = r.stderr.split('\n').find((l) => l.includes(want))
  assert.ok(found, `expected "${want}" in:\n${r.stderr}`)
  assert.match(found, message)
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace')
}

test('a valid schedules section validates', async () => {
  const file = path.join(dir, 'ok.yml')
  writeFileSync(file, head() + `schedules:\n  nightly:\n    cron: "0 3 * * *"\n    timezone: Europe/Paris\n    run: {script: scripts/clean.sh, group: [web, db], batch: 1, maxFailures: 0, timeout: 30s}\n  release:\n    cron: "@daily"\n    deploy: {app: api}\n    overlap: replace\n    catchUp: 1h\n  fast:\n    cron: "*/1 * * * * *"\n    run: {command: uptime}\n`)
  const r = await dops(['validate', '-f', file])
  assert.equal(r.code, 0, r.stdout + r.stderr)
})

test('bad schedules: each one located, exit 2', async () => {
  const one = (body: string) => head() + `schedules:\n  job:\n${body}`
  await expectProblem(one(`    cron: "61 * * * *"\n    run: {command: x}\n`), '"61 * * * *"', /invalid cron expression .*minute/, 'schedules.job.cron')
  await expectProblem(one(`    cron: "* * *"\n    run: {command: x}\n`), '"* * *"', /has 3 fields: expected 5/, 'schedules.job.cron')
  await expectProblem(one(`    cron: "0 0 * * * * 2030"\n    run: {command: x}\n`), '"0 0 * * * * 2030"', /has 7 fields/, 'schedules.job.cron')
  await expectProblem(one(`    cron: "0 0 31 2 *"\n    run: {command: x}\n`), '"0 0 31 2 *"', /never fires/, 'schedules.job.cron')
  await expectProblem(one(`    cron: "@sometimes"\n    run: {command: x}\n`), '"@sometimes"', /invalid cron expression/, 'schedules.job.cron')
  await expectProblem(one(`    cron: "0 3 * * *"\n    timezone: Mars/Olympus\n    run: {command: x}\n`), 'Mars/Olympus', /unknown time zone `Mars\/Olympus`/, 'schedules.job.timezone')
  await expectProblem(one(`    cron: "0 3 * * *"\n    env: prd\n    run: {command: x}\n`), 'prd', /environment `prd` is not defined.*did you mean `prod`/, 'schedules.job.env')
  await expectProblem(one(`    cron: "0 3 * * *"\n    deploy: {app: apx}\n`), 'apx', /app `apx` is not defined under `apps`.*did you mean `api`/, 'schedules.job.deploy.app')
  await expectProblem(one(`    cron: "0 3 * * *"\n    deploy: {app: other}\n`), 'other}', /app `other` is not deployed by any group of environment prod/, 'schedules.job.deploy.app')
  await expectProblem(one(`    cron: "0 3 * * *"\n    run: {command: x, group: wbe}\n`), 'wbe', /group `wbe` is not a group of environment prod; did you mean `web`/, 'schedules.job.run.group')
  await expectProblem(one(`    cron: "0 3 * * *"\n    run: {command: x, group: [web, cache]}\n`), 'cache', /group `cache` is not a group of environment prod/, 'schedules.job.run.group[1]')
  await expectProblem(one(`    cron: "0 3 * * *"\n    run: {script: scripts/missing.sh}\n`), 'scripts/missing.sh', /schedule script .*missing\.sh does not exist/, 'schedules.job.run.script')
  await expectProblem(one(`    cron: "0 3 * * *"\n    run: {script: ../outside.sh}\n`), '../outside.sh', /outside the project/, 'schedules.job.run.script')
  await expectProblem(one(`    cron: "0 3 * * *"\n    run: {script: scripts}\n`), 'scripts}', /is not a regular file/, 'schedules.job.run.script')
  // two environments, none named
  await expectProblem(head('prod,staging') + `schedules:\n  job:\n    cron: "0 3 * * *"\n    run: {command: x}\n`, 'job:', /needs `env`: the plan has 2 environments \(prod, staging\)/, 'schedules.job')
})

test('cron expressions: accepted exactly when croner reads them (5 or 6 fields, nicknames) and they ever fire', async () => {
  const exprs = ['* * * * *', '*/15 9-17 * * MON-FRI', '0 0 L * *', '0 12 * * 7', '30 */2 1,15 * *', '@hourly', '@weekly', '@monthly', '@yearly', '0 0 29 2 *', '*/5 * * * * *', '0 0 0 1 JAN *', '0 0 24 * * *', '60 * * * *', '* * 32 * *', '0 0 * 13 *', '5-1 * * * *', '@reboot', '*/0 * * * *', 'a b c d e']
  const file = path.join(dir, 'oracle.yml')
  const plan = head() + 'schedules:\n' + exprs.map((e, i) => `  s${i}:\n    cron: "${e}"\n    run: {command: x}\n`).join('')
  writeFileSync(file, plan)
  const r = await dops(['validate', '-f', file, '--json'])
  const problems = r.code === 0 ? [] : (JSON.parse(r.stdout) as {error: {problems: Array<{path: string}>}}).error.problems
  let accepted = 0
  exprs.forEach((e, i) => {
    let ok: boolean
    try {
      ok = new Cron(e, {paused: true, timezone: 'UTC'}).nextRun() !== null && (e.startsWith('@') || [5, 6].includes(e.split(' ').length))
    } catch {
      ok = false
    }
    if (ok) accepted++
    assert.equal(!problems.some((p) => p.path === `schedules.s${i}.cron`), ok, `\`${e}\`: croner ${ok ? 'accepts' : 'refuses'} it`)
  })
  assert.ok(accepted >= 8 && accepted < exprs.length, `both kinds in the sample (${accepted} accepted)`)
})
