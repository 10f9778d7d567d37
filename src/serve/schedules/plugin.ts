/**
 * The schedules' routes: `GET /schedules` (each schedule, its next runs and its last run, from the plan and the
 * shared schedule document) and `POST /schedules/{name}/run` (start it now: 202 with the job, queued behind any job
 * of its environment as every job is).
 */
import type {FastifyInstance} from 'fastify'
import {DopsError} from '../../errors.js'
import {loadPlan} from '../../plan/load.js'
import {HttpError} from '../http-errors.js'
import type {SharedScheduleState} from '../lease-common.js'
import {errors, jobResponse, NAME} from '../routes/schemas.js'
import type {ServeContext} from '../types.js'
import {startRun} from './fire.js'
import {schedulesOf} from './spec.js'
import {listSchedules} from './view.js'

const lastSchema = {
  type: 'object',
  description: 'the last run (by any server, or `dops schedule run`)',
  properties: {jobId: {type: 'string'}, state: {type: 'string'}, at: {type: 'string'}, slot: {type: 'string'}, by: {type: 'string'}, exitCode: {type: 'integer'}},
}
const scheduleSchema = {
  type: 'object',
  properties: {
    name: {type: 'string'},
    description: {type: 'string'},
    cron: {type: 'string'},
    timezone: {type: 'string'},
    env: {type: 'string'},
    what: {type: 'string', description: 'what it runs (the plan\'s secrets masked)'},
    overlap: {type: 'string', enum: ['forbid', 'allow', 'replace']},
    enabled: {type: 'boolean'},
    catchUp: {type: ['string', 'number']},
    next: {type: 'array', items: {type: 'string'}, description: 'the next 3 runs (ISO, UTC); none when disabled'},
    last: lastSchema,
    skipped: {type: 'object', description: 'the last slot skipped (overlap)', properties: {jobId: {type: 'string'}, at: {type: 'string'}, slot: {type: 'string'}, reason: {type: 'string'}}},
    lastSlot: {type: 'string', description: 'the last slot fired, by any server'},
  },
}

const leaseSchema = {
  type: 'object',
  description: 'the serve lease: whether this server holds it (fires schedules), and who holds it until when',
  properties: {self: {type: 'boolean'}, owner: {type: 'string', description: 'host:pid'}, expiresAt: {type: 'string'}},
}

export default async function plugin(app: FastifyInstance, opts: {ctx: ServeContext; shared?: SharedScheduleState}): Promise<void> {
  const {ctx} = opts
  const shared = async () => opts.shared ?? (await (await import('../lease-backend.js')).sharedBackendOf(ctx.projectDir, ctx.planFile)).schedules

  app.get('/schedules', {
    schema: {
      description: "The plan's schedules: cron, time zone, environment, what each runs, overlap policy, next 3 runs and last run.",
      response: {200: {type: 'object', properties: {schedules: {type: 'array', items: scheduleSchema}, lease: leaseSchema}}, ...errors},
    },
    handler: async () => {
      try {
        const schedules = await listSchedules({planFile: ctx.planFile, projectDir: ctx.projectDir, shared: await shared()})
        const holder = ctx.leader.holder()
        return {schedules, lease: {self: ctx.leader.isLeader(), ...(holder ? {owner: holder.owner, expiresAt: holder.expiresAt} : {})}}
      } catch (e) {
        if (e instanceof DopsError && e.code === 'STATE_UNAVAILABLE') throw new HttpError(503, e.code, e.message)
        throw e
      }
    },
  })

  app.post<{Params: {name: string}}>('/schedules/:name/run', {
    schema: {
      description: 'Run a schedule now (as `dops schedule run`): answers 202 with the job at once; it waits behind a running job of its environment, never skipped.',
      params: {type: 'object', required: ['name'], properties: {name: {...NAME, description: 'a schedule of the plan'}}},
      response: {202: jobResponse, ...errors},
    },
    handler: async (req, reply) => {
      const {loaded} = await loadPlan(ctx.planFile)
      const entry = schedulesOf(loaded.plan, loaded.secrets).find((e) => e.name === req.params.name)
      if (!entry) throw new HttpError(404, 'NO_SUCH_SCHEDULE', `no schedule \`${req.params.name}\` in the plan`)
      const {job} = await startRun({runner: ctx.runner, shared: await shared(), log: ctx.log}, {...entry, overlap: 'allow'}, undefined, {by: 'api'})
      ctx.log(`job ${job.id} (schedule ${entry.name}) started by ${req.caller?.name ?? 'anonymous'}`)
      return reply.code(202).send({job})
    },
  })
}
