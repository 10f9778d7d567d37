/**
 * A scheduled command with a secret of the plan (`${env:..}`): the job runs with the real value, and the job's record
 * (jobs.jsonl, GET /jobs through the runner) holds it masked, skipped records too.
 */
import assert from 'node:assert/strict'
import {mkdtempSync, readFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {test} from 'node:test'
import {project, startServer, until} from './schedule-helpers.js'

test('a schedule\'s secret runs in the command and never reaches the job store', async () => {
  const secret = `s3cr3t-${process.pid}-value`
  process.env.SCHED_SECRET_TEST = secret
  const work = mkdtempSync(path.join(os.tmpdir(), 'dops-sched-secret-'))
  const {dir, plan} = project(`  leak:\n    cron: "*/1 * * * * *"\n    run: {command: "printf %s '\${env:SCHED_SECRET_TEST}' > ${work}/out-$DOPS_HOST.txt; sleep 1.5"}\n`, '', work)
  const s = await startServer(dir, plan)
  try {
    await until(() => s.ctx.runner.list({limit: 100}).some((j) => j.trigger.by === 'leak' && j.state === 'succeeded'), 20_000, 'a succeeded run')
    await until(() => s.ctx.runner.list({limit: 100}).some((j) => j.trigger.by === 'leak' && j.state === 'skipped'), 20_000, 'a skipped slot (forbid)')
  } finally {
    await s.stop()
    delete process.env.SCHED_SECRET_TEST
  }
  assert.equal(readFileSync(path.join(dir, 'out-here.txt'), 'utf8'), secret, 'the command ran with the real value')
  const jobs = s.ctx.runner.list({limit: 100}).filter((j) => j.trigger.by === 'leak')
  for (const j of jobs) assert.doesNotMatch(JSON.stringify(j), new RegExp(secret), `${j.state} job ${j.id} holds no secret`)
  assert.ok(jobs.some((j) => String(j.params.command).includes('***')), 'masked where it stood')
  const stored = readFileSync(path.join(dir, '.dops/serve/jobs.jsonl'), 'utf8')
  assert.ok(stored.length > 0)
  assert.doesNotMatch(stored, new RegExp(secret), 'jobs.jsonl never holds it')
})
