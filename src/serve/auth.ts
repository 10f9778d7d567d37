/**
 * Bearer-token auth of `dops serve`, checked before anything else of a request (before its body is read): a route
 * needs `read` (GET/HEAD) or `operate` (everything else) unless it says `auth: 'none'`. No token or an unknown one:
 * 401 with `WWW-Authenticate: Bearer`; a `read` token on an `operate` route: 403. With --public-read, read routes
 * answer without a token (a token that is sent is still checked). The token itself is never logged.
 */
import type {FastifyInstance, FastifyReply, FastifyRequest} from 'fastify'
import {findToken, type Role, type TokenSet} from './tokens.js'
import type {ServeContext} from './types.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** who called: the token's name and role (undefined on `auth: none` routes and anonymous public reads) */
    caller?: {name: string; role: Role}
  }
}

function deny(reply: FastifyReply, status: 401 | 403, message: string) {
  if (status === 401) reply.header('www-authenticate', 'Bearer realm="dops"')
  return reply.code(status).send({error: {code: status === 401 ? 'UNAUTHORIZED' : 'FORBIDDEN', message}})
}

export function installAuth(app: FastifyInstance, ctx: ServeContext, tokens: TokenSet = {entries: []}): void {
  app.decorateRequest('caller', undefined)
  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    if (req.is404) return
    const need = req.routeOptions.config.auth ?? 'operate'
    if (need === 'none') return
    const header = req.headers.authorization
    if (header === undefined && need === 'read' && ctx.publicRead) return
    const m = /^Bearer +(\S+) *$/i.exec(header ?? '')
    if (!m) return deny(reply, 401, header === undefined ? 'a bearer token is required (Authorization: Bearer TOKEN)' : 'the Authorization header must be `Bearer TOKEN`')
    const found = findToken(tokens, m[1]!)
    if (!found) return deny(reply, 401, 'the token is not known to this server')
    if (need === 'operate' && found.role !== 'operate') return deny(reply, 403, `token ${found.name} has the read role; this route needs an operate token`)
    req.caller = {name: found.name, role: found.role}
  })
}
