/**
 * Deploy schedules on real sshd hosts (the test fleet): `dops schedule run NAME` deploys as `dops deploy` does and
 * records the deployment as the last run; the scheduler's caught-up slot deploys through the runner's deploy kind.
 */
import assert from 'node:assert/strict'
import {mkdirSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, before, test} from 'node:test'
import type {DeployReport} from '../../src/deploy/deploy-job.js'
import {LocalScheduleState} from '../../src/serve/lease-local.js'
import {dops} from '../helpers.js'
import {startFleet, type Fleet} from '../fleet/fleet.js'
import {startServer, until} from './schedule-helpers.js'

let fleet: Fleet
let project: string
before(async () => {
  fleet = await startFleet({count: 2, prefix: 'sd'})
  project = mkdtempSync(path.join(os.tmpdir(), 'dops-sched-deploy-'))
  writeFileSync(
    path.join(project, 'dops.yml'),
    `version: 1
project: scheddeploy
ssh:
  config: ${fleet.sshConfig}
apps:
  web:
    source: ./build
environments:
  prod:
    groups:
      web:
        hosts: [${fleet.hosts.map((h) => h.name).join(', ')}]
        apps: [web]
schedules:
  release:
    cron: "0 4 * * *"
    catchUp: 24h
    deploy: {app: web}
`,
  )
})
after(async () => fleet?.stop())

function build(version: string): void {
  mkdirSync(path.join(project, 'build', 'site'), {recursive: true})
  writeFileSync(path.join(project, 'build', 'site', 'index.html'), `<h1>${version}</h1>\n`)
  writeFileSync(path.join(project, 'build', 'appspec.yml'), 'version: 0.0\nos: linux\nfiles:\n  - source: site\n    destination: /var/www/app\n')
}
const page = (i: number) => readFileSync(path.join(fleet.hosts[i]!.fsDir, 'var/www/app/index.html'), 'utf8').trim()

test('dops schedule run NAME deploys the app as dops deploy does, recorded as the last run', async () => {
  build('v1')
  const r = await dops(['schedule', 'run', 'release', '--json'], {cwd: project})
  assert.equal(r.code, 0, r.stdout + r.stderr)
  const report = JSON.parse(r.stdout) as DeployReport
  assert.equal(report.status, 'succeeded')
  assert.equal(report.app, 'web')
  assert.deepEqual([page(0), page(1)], ['<h1>v1</h1>', '<h1>v1</h1>'])
  const last = (await new LocalScheduleState(project).read()).schedules.release!.last!
  assert.deepEqual([last.jobId, last.state, last.by], [report.deploymentId, 'succeeded', 'cli'])
  const history = await dops(['deploy', 'history', '--json'], {cwd: project})
  assert.ok((JSON.parse(history.stdout) as {deployments: Array<{deploymentId: string}>}).deployments.some((d) => d.deploymentId === report.deploymentId), 'in the deploy history')
})

test('the scheduler deploys on its slot (caught up within the window) through the runner', async () => {
  build('v2')
  const s = await startServer(project, path.join(project, 'dops.yml'))
  let jobId = ''
  try {
    await until(() => s.ctx.runner.list().some((j) => j.trigger.by === 'release'), 10_000, 'the deploy job')
    jobId = s.ctx.runner.list().find((j) => j.trigger.by === 'release')!.id
    const done = await s.ctx.runner.wait(jobId)
    assert.equal(done.state, 'succeeded', JSON.stringify(done.error ?? done.result))
    assert.equal(done.kind, 'deploy')
    assert.equal((done.result as DeployReport).status, 'succeeded')
  } finally {
    await s.stop()
  }
  assert.deepEqual([page(0), page(1)], ['<h1>v2</h1>', '<h1>v2</h1>'])
  await until(async () => (await new LocalScheduleState(project).read()).schedules.release?.last?.state === 'succeeded', 5000, 'the last run recorded')
  assert.equal((await new LocalScheduleState(project).read()).schedules.release!.last!.jobId, jobId)
})
