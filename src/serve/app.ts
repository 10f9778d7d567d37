/**
 * The fastify application of `dops serve`: validation on dops's Ajv, the OpenAPI document from the route schemas,
 * bearer-token auth, JSON errors, and the route plugins of each part. Imported lazily by the serve command only.
 *
 * Auth of a route: `config: {auth: 'none' | 'read' | 'operate'}`; default `read` for GET/HEAD, `operate` otherwise.
 * `none` is for routes with their own check (webhook signatures) and the dashboard's page shell.
 */
import Fastify, {type FastifyInstance, type FastifyServerOptions} from 'fastify'
import {compileRouteSchema} from './ajv.js'
import {installAuth} from './auth.js'
import {installErrorHandlers} from './http-errors.js'
import {HEARTBEAT_MS} from './sse.js'
import type {TokenSet} from './tokens.js'
import type {ServeContext} from './types.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: 'none' | 'read' | 'operate'
  }
  interface FastifyInstance {
    /** every route registered (method and url), for the check that the OpenAPI document lists them all */
    dopsRoutes: Array<{method: string; url: string; auth: 'none' | 'read' | 'operate'}>
    /** the SSE comment-line interval of this server */
    sseHeartbeatMs: number
  }
}

export interface ServerOptions {
  /** largest request body accepted by default (a route may set its own: webhooks take up to 25 MB) */
  bodyLimit?: number
  /** the tokens that may call the API (none: only `auth: none` routes, and reads with --public-read) */
  tokens?: TokenSet
  /** TLS: PEM certificate chain and key */
  https?: {cert: string; key: string}
  /** SSE streams send a comment line this often (default 15 s) */
  sseHeartbeatMs?: number
}

export const DEFAULT_BODY_LIMIT = 1024 * 1024

export function routeAuth(method: string | string[], auth: 'none' | 'read' | 'operate' | undefined): 'none' | 'read' | 'operate' {
  if (auth) return auth
  const methods = Array.isArray(method) ? method : [method]
  return methods.every((m) => m === 'GET' || m === 'HEAD') ? 'read' : 'operate'
}

export async function buildServer(ctx: ServeContext, opts: ServerOptions = {}): Promise<FastifyInstance> {
  const base: FastifyServerOptions = {
    logger: false,
    bodyLimit: opts.bodyLimit ?? DEFAULT_BODY_LIMIT,
    // bounded: a client that sends its request slowly is cut off; responses (SSE streams) are not limited by this
    requestTimeout: 60_000,
    connectionTimeout: 0,
    forceCloseConnections: true,
    return503OnClosing: true,
  }
  const app = (opts.https ? Fastify({...base, https: {cert: opts.https.cert, key: opts.https.key}} as FastifyServerOptions) : Fastify(base)) as unknown as FastifyInstance
  app.setValidatorCompiler(compileRouteSchema)
  // response schemas document the answers (OpenAPI); they are sent as JSON.stringify makes them: nothing is dropped,
  // and no serializer is compiled at start-up
  app.setSerializerCompiler(() => (data) => JSON.stringify(data))
  installErrorHandlers(app, ctx.log)
  app.decorate('dopsRoutes', [] as FastifyInstance['dopsRoutes'])
  app.decorate('sseHeartbeatMs', opts.sseHeartbeatMs ?? HEARTBEAT_MS)
  app.addHook('onRoute', (route) => {
    const auth = routeAuth(route.method, (route.config as {auth?: 'none' | 'read' | 'operate'} | undefined)?.auth)
    route.config = {...(route.config ?? {}), auth}
    for (const m of ([] as string[]).concat(route.method)) if (m !== 'HEAD') app.dopsRoutes.push({method: m, url: route.url, auth})
  })
  installAuth(app, ctx, opts.tokens)
  const {default: swagger} = await import('@fastify/swagger')
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {title: 'dops serve', description: 'The REST API of `dops serve`: environments, deployments and jobs over the same core as the dops CLI.', version: ctx.version},
      components: {securitySchemes: {bearer: {type: 'http', scheme: 'bearer'}}},
    },
    transform: ({schema, url, route}) => {
      const auth = (route.config as {auth?: string} | undefined)?.auth
      return {schema: {...schema, ...(auth === 'none' ? {security: []} : {security: [{bearer: []}]})} as typeof schema, url}
    },
  })
  app.get('/openapi.json', {config: {auth: 'none'}, schema: {description: 'This OpenAPI document, generated from the route schemas.'}}, async () => app.swagger())
  const parts = [import('./routes/read.js'), import('./routes/jobs.js'), import('./hooks/plugin.js'), import('./alerts/plugin.js'), import('./schedules/plugin.js'), import('./dashboard/plugin.js')]
  for (const part of parts) await app.register((await part).default, {ctx})
  return app
}
