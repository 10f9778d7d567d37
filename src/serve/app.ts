/**
 * The fastify application of `dops serve`: validation on dops's Ajv, the OpenAPI document from the route schemas,
 * bearer-token auth, and the route plugins of each part. Imported lazily by the serve command only.
 *
 * Auth of a route: `config: {auth: 'none' | 'read' | 'operate'}`; default `read` for GET/HEAD, `operate` otherwise.
 * `none` is for routes with their own check (webhook signatures) and the dashboard's page shell.
 */
import Fastify, {type FastifyInstance} from 'fastify'
import type {ServeContext} from './types.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: 'none' | 'read' | 'operate'
  }
}

export interface ServerOptions {
  /** largest request body accepted (webhooks: GitHub sends up to 25 MB) */
  bodyLimit?: number
}

export async function buildServer(ctx: ServeContext, _opts: ServerOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({logger: false})
  const parts = [
    import('./routes/read.js'),
    import('./routes/jobs.js'),
    import('./hooks/plugin.js'),
    import('./schedules/plugin.js'),
    import('./dashboard/plugin.js'),
  ]
  for (const part of parts) await app.register((await part).default, {ctx})
  return app
}
