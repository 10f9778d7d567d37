/**
 * The schedules' routes: `GET /schedules` (each schedule, its next runs and its last run, from the plan and the
 * shared schedule document) and `POST /schedules/{name}/run` (start it now: 202 with the job, queued behind any job
 * of its environment as every job is).
 */
import type {FastifyInstance, FastifyReply} from 'fastify'
import {DopsError} from '../../errors.js'
import {loadPlan} from '../../plan/load.js'
import type {ServeContext} from '../types.js'
import {startRun} from './fire.js'
import {schedulesOf} from './spec.js'
import {listSchedules} from './view.js'
import type {SharedScheduleState} from '../lease-common.js'

const lastSchema = {
  type: 'object',
  properties: {jobId: {type: 'string'}, state: {type: 'string'}, at: {type: 'string'}, slot: {type: 'string'}, by: {type: 'string'}, exitCode: {type: 'integer'}},
  required: ['jobId', 'state', 'at'],
}
const scheduleSchema = {
  type: 'object',
  required: ['name', 'cron', 'timezone', 'env', 'what', 'overlap', 'enabled', 'next'],
  properties: {
    name: {type: 'string'},
    description: {type: 'string'},
    cron: {type: 'string'},
    timezone: {type: 'string'},
    env: {type: 'string'},
    what: {type: 'string'},
    overlap: {type: 'string', enum: ['forbid', 'allow', 'replace']},
    enabled: {type: 'boolean'},
    catchUp: {type: ['string', 'number']},
    next: {type: 'array', items: {type: 'string'}},
    last: lastSchema,
    skipped: {type: 'object', properties: {jobId: {type: 'string'}, at: {type: 'string'}, slot: {type: 'string'}, reason: {type: 'string'}}},
    lastSlot: {type: 'string'},
  },
}
const errorSchema = {type: 'object', properties: {error: {type: 'object', properties: {code: {type: 'string'}, message: {type: 'string'}}}}}

function fail(reply: FastifyReply, status: number, code: string, message: string) {
  return reply.code(status).send({error: {code, message}})
}

export default async function plugin(app: FastifyInstance, opts: {ctx: ServeContext; shared?: SharedScheduleState}): Promise<void> {
  const {ctx} = opts
  const shared = async () => opts.shared ?? (await (await import('../lease-backend.js')).sharedBackendOf(ctx.projectDir, ctx.planFile)).schedules

  app.get('/schedules', {schema: {response: {200: {type: 'object', properties: {schedules: {type: 'array', items: scheduleSchema}}}}}}, async (_req, reply) => {
    try {
      return {schedules: await listSchedules({planFile: ctx.planFile, projectDir: ctx.projectDir, shared: await shared()})}
    } catch (e) {
      const code = e instanceof DopsError ? String(e.code) : 'INTERNAL'
      return fail(reply, code === 'STATE_UNAVAILABLE' ? 503 : 500, code, (e as Error).message.split('\n')[0]!)
    }
  })

  app.post<{Params: {name: string}}>(
    '/schedules/:name/run',
    {
      schema: {
        params: {type: 'object', required: ['name'], properties: {name: {type: 'string', minLength: 1, maxLength: 200}}},
        response: {202: {type: 'object', properties: {job: {type: 'object', additionalProperties: true}}}, 404: errorSchema},
      },
    },
    async (req, reply) => {
      const {loaded} = await loadPlan(ctx.planFile)
      const entry = schedulesOf(loaded.plan).find((e) => e.name === req.params.name)
      if (!entry) return fail(reply, 404, 'NO_SUCH_SCHEDULE', `no schedule \`${req.params.name}\` in the plan`)
      // a run asked for now is not a slot: it is queued behind a running one rather than skipped
      const {job} = await startRun({runner: ctx.runner, shared: await shared(), log: ctx.log}, {...entry, overlap: 'allow'}, undefined, {by: 'api'})
      return reply.code(202).send({job})
    },
  )
}
