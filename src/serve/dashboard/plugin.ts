/**
 * The dashboard: `GET /` (the page, rendered on the server) and its two static files. The routes need no token (the
 * page asks for one); the page's data come from the same REST API the script then calls. With `--public-read` the
 * server renders the environments into the page (read through the API's own routes with `inject`, so the page shows
 * exactly what `GET /envs` answers); without it the page holds no data until a token is given.
 */
import type {FastifyInstance} from 'fastify'
import type {ServeContext} from '../types.js'
import {DASHBOARD_CSS, DASHBOARD_JS, FAVICON_SVG} from './assets.js'
import {SECURITY_HEADERS} from './html.js'
import {renderPage} from './page.js'
import type {BootData, EnvView, EnvsView} from './view-types.js'

/** An answer of the API's own read routes, or undefined when the route is absent or failed (the page then asks itself). */
async function read<T>(app: FastifyInstance, url: string): Promise<T | undefined> {
  try {
    const res = await app.inject({method: 'GET', url, headers: {accept: 'application/json'}})
    return res.statusCode === 200 ? (res.json() as T) : undefined
  } catch {
    return undefined
  }
}

export async function bootData(app: FastifyInstance, ctx: ServeContext, wanted: string | undefined): Promise<BootData> {
  const b: BootData = {version: ctx.version, publicRead: ctx.publicRead, env: wanted}
  if (!ctx.publicRead) return b
  b.leader = {isLeader: ctx.leader.isLeader(), holder: ctx.leader.holder()}
  b.envs = await read<EnvsView>(app, '/envs')
  const names = (b.envs?.envs ?? []).map((e) => e.name)
  b.env = wanted !== undefined && names.includes(wanted) ? wanted : names[0]
  if (b.env !== undefined) b.envData = await read<EnvView>(app, `/envs/${encodeURIComponent(b.env)}`)
  return b
}

export default async function plugin(app: FastifyInstance, opts: {ctx: ServeContext}): Promise<void> {
  const {ctx} = opts
  app.get('/', {config: {auth: 'none'}, schema: {description: 'The dashboard: an HTML page (`?env=NAME` chooses the environment). It asks for a token unless the server runs with --public-read.'}}, async (req, reply) => {
    const q = req.query as Record<string, unknown> | undefined
    const wanted = typeof q?.env === 'string' && q.env.length <= 200 ? q.env : undefined
    const html = renderPage(await bootData(app, ctx, wanted))
    return reply.headers(SECURITY_HEADERS).type('text/html; charset=utf-8').send(html)
  })
  app.get('/assets/dashboard.js', {config: {auth: 'none'}, schema: {description: "The dashboard page's script (plain JavaScript)."}}, async (_req, reply) =>
    reply.headers(SECURITY_HEADERS).type('text/javascript; charset=utf-8').send(DASHBOARD_JS),
  )
  app.get('/assets/dashboard.css', {config: {auth: 'none'}, schema: {description: "The dashboard page's style sheet."}}, async (_req, reply) =>
    reply.headers(SECURITY_HEADERS).type('text/css; charset=utf-8').send(DASHBOARD_CSS),
  )
  app.get('/assets/favicon.svg', {config: {auth: 'none'}, schema: {description: "The dashboard page's icon (SVG)."}}, async (_req, reply) =>
    reply.headers(SECURITY_HEADERS).type('image/svg+xml').send(FAVICON_SVG),
  )
}
