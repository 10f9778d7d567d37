/** Pure parts of schedules: the job a schedule starts, and which missed slot a catch-up window runs. */
import assert from 'node:assert/strict'
import {test} from 'node:test'
import {catchUpSlot, jobSpecOf, schedulesOf} from '../../src/serve/schedules/spec.js'
import {cronOf} from '../../src/serve/schedules/cron.js'
import type {Plan} from '../../src/plan/types.js'

test('a run schedule gives the JobParams of dops run; a deploy one the app and revision', () => {
  assert.deepEqual(jobSpecOf({cron: '@daily', run: {script: 's.sh', args: ['-x'], group: ['a', 'b'], labels: ['role=db'], hosts: ['h*'], batch: [1, '50%'], maxFailures: '10%', timeout: 30, sudo: true}}, 'prod'), {
    kind: 'run',
    env: 'prod',
    params: {script: 's.sh', args: ['-x'], group: ['a', 'b'], labels: ['role=db'], hosts: ['h*'], batch: [1, '50%'], maxFailures: '10%', timeout: '30s', sudo: true},
  })
  assert.deepEqual(jobSpecOf({cron: '@daily', run: {command: 'uptime', timeout: '5m'}}, 'e'), {kind: 'run', env: 'e', params: {command: 'uptime', timeout: '5m'}})
  assert.deepEqual(jobSpecOf({cron: '@daily', deploy: {app: 'web', revision: 'dist/web.tgz'}}, 'e'), {kind: 'deploy', env: 'e', params: {app: 'web', revision: 'dist/web.tgz'}})
})

test('schedulesOf: defaults (UTC, forbid, enabled, the only environment, no catch-up) and secrets masked', () => {
  const plan = {version: 1, project: 'p', environments: {only: {}}, schedules: {a: {cron: '0 1 * * *', run: {command: 'echo s3cr3tvalue'}}, b: {cron: '@hourly', timezone: 'Asia/Tokyo', overlap: 'allow', enabled: false, catchUp: '2h', deploy: {app: 'x'}}}} as Plan
  const [a, b] = schedulesOf(plan, ['s3cr3tvalue'])
  assert.deepEqual([a!.env, a!.timezone, a!.overlap, a!.enabled, a!.catchUpMs, a!.what], ['only', 'UTC', 'forbid', true, 0, 'run: echo ***'])
  assert.deepEqual([b!.timezone, b!.overlap, b!.enabled, b!.catchUpMs, b!.what], ['Asia/Tokyo', 'allow', false, 7_200_000, 'deploy: x'])
  assert.equal(a!.job.params.command, 'echo s3cr3tvalue', 'the job runs the real command')
})

test('catchUpSlot: the most recent missed slot within the window, once', () => {
  const cron = cronOf('0 * * * *')
  const now = new Date('2026-06-01T10:20:00Z')
  const hour = {cron, catchUpMs: 3600_000}
  assert.equal(catchUpSlot(hour, undefined, now)?.toISOString(), '2026-06-01T10:00:00.000Z')
  assert.equal(catchUpSlot(hour, '2026-06-01T09:00:00.000Z', now)?.toISOString(), '2026-06-01T10:00:00.000Z', 'an older slot fired: this one is missed')
  assert.equal(catchUpSlot(hour, '2026-06-01T10:00:00.000Z', now), undefined, 'already fired')
  assert.equal(catchUpSlot({cron, catchUpMs: 10 * 60_000}, undefined, now), undefined, 'missed by more than the window')
  assert.equal(catchUpSlot({cron, catchUpMs: 0}, undefined, now), undefined, 'no window: never caught up')
  // in the schedule's time zone: 02:30 in Paris is 00:30 UTC in summer
  assert.equal(catchUpSlot({cron: cronOf('30 2 * * *', 'Europe/Paris'), catchUpMs: 3600_000}, undefined, new Date('2026-06-01T01:00:00Z'))?.toISOString(), '2026-06-01T00:30:00.000Z')
})
