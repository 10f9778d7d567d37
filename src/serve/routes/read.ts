/**
 * Reads: the environments, one environment (from the state and the records; `?refresh=1` asks the hosts as
 * `dops env status` does), its deployments, and an app's deploy status (contacts its hosts).
 */
import type {FastifyInstance} from 'fastify'
import {envViewsFor} from '../env-views.js'
import type {ServeContext} from '../types.js'
import {anyObject, envParams, errors, NAME} from './schemas.js'

export default async function plugin(app: FastifyInstance, {ctx}: {ctx: ServeContext}): Promise<void> {
  const views = envViewsFor(ctx)

  app.get('/health', {
    config: {auth: 'none'},
    schema: {
      description: 'The server answers: its version, and whether it leads (fires schedules, acts on webhooks).',
      response: {200: {type: 'object', properties: {ok: {type: 'boolean'}, version: {type: 'string'}, leader: {type: 'boolean'}}}},
    },
    handler: async () => ({ok: true, version: ctx.version, leader: ctx.leader.isLeader()}),
  })

  app.get('/envs', {
    schema: {description: "The plan's environments: group and host counts, health as last checked, last deployment, lock holder.", response: {200: anyObject('`{project, envs: [{name, groups, hosts, health, lastDeployment?, locked?}]}`'), ...errors}},
    handler: async () => views.summaries(),
  })

  app.get<{Params: {env: string}; Querystring: {refresh?: string}}>('/envs/:env', {
    schema: {
      description: 'One environment by group and host (revisions, labels, health), from the state and the deployment records; `refresh=1` asks the hosts now (as `dops env status`) and keeps the answer with `checkedAt`.',
      params: envParams,
      querystring: {type: 'object', additionalProperties: false, properties: {refresh: {type: 'string', enum: ['0', '1', 'true', 'false'], description: '1: ask the providers and hosts now'}}},
      response: {200: anyObject('`{project, env, checkedAt?, groups: [...], lastDeployment?, locked?, recovery?}` (see docs/serve.md)'), ...errors},
    },
    handler: async (req, reply) => {
      if (req.query.refresh === '1' || req.query.refresh === 'true') return views.refresh(req.params.env)
      // the common read: the cached view's JSON text as it is
      return reply.type('application/json; charset=utf-8').send(await views.viewJson(req.params.env))
    },
  })

  app.get<{Params: {env: string}; Querystring: {app?: string; limit?: number}}>('/envs/:env/deployments', {
    schema: {
      description: "The environment's deployments and rollbacks, newest first (`dops deploy history --json` entries, with each host's lifecycle events).",
      params: envParams,
      querystring: {type: 'object', additionalProperties: false, properties: {app: {...NAME, description: 'only this app'}, limit: {type: 'integer', minimum: 1, maximum: 1000, description: 'at most this many (default 50)'}}},
      response: {200: anyObject('`{deployments: [...]}`'), ...errors},
    },
    handler: async (req) => ({deployments: await views.deployments(req.params.env, req.query)}),
  })

  app.get<{Params: {env: string; app: string}}>('/envs/:env/apps/:app/status', {
    schema: {
      description: 'Which revision each host of the app runs, and its health check now (`dops deploy status --json`; contacts the hosts).',
      params: {type: 'object', required: ['env', 'app'], properties: {env: envParams.properties.env, app: {...NAME, description: 'an app of the plan'}}},
      response: {200: anyObject('`dops deploy status --json`: `{env, app, groups, hosts}`'), ...errors},
    },
    handler: async (req) => views.appStatus(req.params.env, req.params.app),
  })
}
