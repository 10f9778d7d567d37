/**
 * Jobs: start one (env up/down, scale, deploy, rollback, run; 202 with the job at once, queued behind a running job
 * of the same environment), list them, get one, cancel one, and follow its events (SSE, or `?format=json`).
 */
import type {FastifyInstance} from 'fastify'
import {envViewsFor} from '../env-views.js'
import {HttpError, notFound} from '../http-errors.js'
import {MAX_STREAMS, streamJobEvents, streamsOpen} from '../sse.js'
import {TERMINAL_STATES, type JobKind, type JobState, type ServeContext} from '../types.js'
import {bodies, checkAgainstPlan, projectFile} from './job-bodies.js'
import {anyObject, envParams, errors, JOB_KINDS, JOB_STATES, jobResponse, jobSchema, NAME} from './schemas.js'

const starts: Array<{path: string; kind: JobKind; body: object; description: string}> = [
  {path: 'up', kind: 'env.up', body: bodies.up, description: 'Start `dops env up`: create, bootstrap and deploy what the plan asks for.'},
  {path: 'down', kind: 'env.down', body: bodies.down, description: 'Start `dops env down`: destroy the hosts the providers made (`yes: true` is required, as `--yes`).'},
  {path: 'scale', kind: 'scale', body: bodies.scale, description: 'Start `dops scale`: set the host count of groups (`yes: true` to remove hosts).'},
  {path: 'deploy', kind: 'deploy', body: bodies.deploy, description: 'Start `dops deploy`: the app (or a revision of the project) to its hosts, in rolling batches.'},
  {path: 'rollback', kind: 'rollback', body: bodies.rollback, description: 'Start `dops rollback`: the app back to a recorded revision (default the previous good one).'},
  {path: 'run', kind: 'run', body: bodies.run, description: 'Start `dops run`: a command, or a script of the project, on the selected hosts.'},
]

const JOB_ID = {type: 'string', pattern: '^j-[0-9]{8}-[0-9]{6}-[0-9a-f]{6}$', description: 'a job id'} as const
const idParams = {type: 'object', required: ['id'], properties: {id: JOB_ID}} as const

export default async function plugin(app: FastifyInstance, {ctx}: {ctx: ServeContext}): Promise<void> {
  const views = envViewsFor(ctx)

  for (const s of starts) {
    app.post<{Params: {env: string}; Body: Record<string, unknown> | undefined}>(`/envs/:env/${s.path}`, {
      schema: {description: `${s.description} Answers 202 with the job at once.`, params: envParams, body: s.body, response: {202: jobResponse, ...errors}},
      handler: async (req, reply) => {
        const env = req.params.env
        const body = req.body ?? {}
        await views.known(env)
        checkAgainstPlan(await views.loaded(), env, s.kind, body)
        if (typeof body.script === 'string') projectFile(ctx.projectDir, body.script, 'script')
        if (typeof body.revision === 'string') projectFile(ctx.projectDir, body.revision, 'revision', 'any')
        const job = await ctx.runner.start({kind: s.kind, env, params: body}, {type: 'api', by: req.caller?.name ?? 'anonymous'})
        ctx.log(`job ${job.id} (${s.kind} ${env}) started by ${req.caller?.name ?? 'anonymous'}`)
        return reply.code(202).send({job})
      },
    })
  }

  app.get<{Querystring: {env?: string; state?: JobState; kind?: JobKind; limit?: number}}>('/jobs', {
    schema: {
      description: 'The jobs, newest first.',
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: {env: NAME, state: {type: 'string', enum: JOB_STATES}, kind: {type: 'string', enum: JOB_KINDS}, limit: {type: 'integer', minimum: 1, maximum: 1000, description: 'default 100'}},
      },
      response: {200: {type: 'object', properties: {jobs: {type: 'array', items: jobSchema}}}, ...errors},
    },
    handler: async (req) => ({jobs: ctx.runner.list({...req.query, limit: req.query.limit ?? 100})}),
  })

  const jobOr404 = (id: string) => {
    const job = ctx.runner.get(id)
    if (!job) throw notFound(`no job ${id}`)
    return job
  }

  app.get<{Params: {id: string}}>('/jobs/:id', {
    schema: {description: 'One job: its state, parameters, trigger, result.', params: idParams, response: {200: jobResponse, ...errors}},
    handler: async (req) => ({job: jobOr404(req.params.id)}),
  })

  app.post<{Params: {id: string}}>('/jobs/:id/cancel', {
    schema: {description: 'Cancel a job: a queued one never starts; a running one finishes the step in progress and starts nothing new (as Ctrl-C once).', params: idParams, response: {200: jobResponse, ...errors}},
    handler: async (req) => {
      jobOr404(req.params.id)
      const job = await ctx.runner.cancel(req.params.id)
      if (!job) throw notFound(`no job ${req.params.id}`)
      ctx.log(`job ${job.id} cancelled by ${req.caller?.name ?? 'anonymous'}`)
      return {job}
    },
  })

  app.get<{Params: {id: string}; Querystring: {after?: number; format?: 'sse' | 'json'}}>('/jobs/:id/events', {
    schema: {
      description: "The job's events as Server-Sent Events (`id`, `event`, `data` frames; replay after `Last-Event-ID` or `after`; ends after the job's terminal state; 204 when the job ended and nothing is left to replay), or all of them as JSON with `format=json`.",
      params: idParams,
      querystring: {type: 'object', additionalProperties: false, properties: {after: {type: 'integer', minimum: 0, description: 'replay after this event number'}, format: {type: 'string', enum: ['sse', 'json']}}},
      headers: {type: 'object', properties: {'last-event-id': {type: 'string', pattern: '^[0-9]{1,12}$'}}},
      response: {200: anyObject('`text/event-stream`, or `{events: [{seq, at, type, data}]}` with format=json'), ...errors},
    },
    handler: async (req, reply) => {
      const job = jobOr404(req.params.id)
      const header = req.headers['last-event-id']
      const after = header !== undefined ? Number(header) : (req.query.after ?? 0)
      if (req.query.format === 'json') return {events: await ctx.store.events(req.params.id, after)}
      // an ended job with nothing after Last-Event-ID: 204 tells an EventSource to stop reconnecting
      if (TERMINAL_STATES.includes(job.state) && !(await ctx.store.events(req.params.id, after)).length) return reply.code(204).send()
      if (streamsOpen() >= MAX_STREAMS) throw new HttpError(503, 'TOO_MANY_STREAMS', `${MAX_STREAMS} event streams are open; try again later`)
      await streamJobEvents(req, reply, ctx.runner, req.params.id, after)
      return reply
    },
  })
}
