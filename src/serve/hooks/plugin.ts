/**
 * `POST /hooks/github` and `POST /hooks/gitlab` (auth none: the forges sign their deliveries). In this plugin's own
 * context the body is kept as raw bytes (JSON or GitHub's form content type, 25 MB at most) and verified before it
 * is parsed; a verified push to an app's trigger branch starts a `deploy.git` job (registered here). Secrets come
 * from the environment at registration, and are removed from it (builds, git and hooks never see them):
 * DOPS_GITHUB_WEBHOOK_SECRET, DOPS_GITLAB_WEBHOOK_TOKEN, DOPS_GITLAB_SIGNING_SECRET. Only the leader acts; the others answer 503 naming it.
 */
import type {FastifyInstance, FastifyReply, FastifyRequest} from 'fastify'
// the OpenAPI fields of a route schema (summary, tags, consumes): types only
import type {} from '@fastify/swagger'
import {registerJobKind} from '../jobs/registry.js'
import type {ServeContext} from '../types.js'
import {deployGit} from './deploy-git.js'
import {handlePush, type Answer} from './handle.js'
import {BadPayload, githubDelivery, gitlabDelivery, parseBody, type Delivery} from './payload.js'
import {verifyGithub, verifyGitlabToken, verifyStandardWebhook, type Check} from './signatures.js'

registerJobKind('deploy.git', deployGit)

/** GitHub caps a delivery at 25 MB. */
export const HOOK_BODY_LIMIT = 25 * 1024 * 1024

export interface HookSecrets {
  github?: string
  gitlabToken?: string
  gitlabSigning?: string
}

export const SECRET_VARS = ['DOPS_GITHUB_WEBHOOK_SECRET', 'DOPS_GITLAB_WEBHOOK_TOKEN', 'DOPS_GITLAB_SIGNING_SECRET'] as const

/**
 * The secrets, taken out of the environment: the app's build (code from the pushed repository), git and every other
 * process the server starts inherit its environment, and must never see them.
 */
export function takeHookSecrets(env: NodeJS.ProcessEnv = process.env): HookSecrets {
  const v = (k: (typeof SECRET_VARS)[number]) => (env[k] ? env[k] : undefined)
  const secrets = {github: v('DOPS_GITHUB_WEBHOOK_SECRET'), gitlabToken: v('DOPS_GITLAB_WEBHOOK_TOKEN'), gitlabSigning: v('DOPS_GITLAB_SIGNING_SECRET')}
  for (const k of SECRET_VARS) delete env[k]
  return secrets
}

const header = (req: FastifyRequest, name: string): string | undefined => {
  const v = req.headers[name]
  return typeof v === 'string' ? v : undefined
}
/** A header value fit for a log line and a key: printable, bounded. */
const safeId = (v: string | undefined): string | undefined => (v && v.length <= 200 && /^[A-Za-z0-9._:@-]+$/.test(v) ? v : undefined)
const error = (status: number, code: string, message: string, log: string): Answer => ({status, body: {error: {code, message}}, log})

interface Forge {
  name: 'github' | 'gitlab'
  summary: string
  configured: (s: HookSecrets) => string | undefined
  verify: (s: HookSecrets, raw: Buffer, req: FastifyRequest) => Check
  delivery: (req: FastifyRequest) => string | undefined
  read: (req: FastifyRequest, body: Record<string, unknown>) => Delivery
}

const FORGES: Forge[] = [
  {
    name: 'github',
    summary: 'GitHub webhook: a push to an app\'s trigger branch deploys the commit (X-Hub-Signature-256)',
    configured: (s) => (s.github ? undefined : 'set DOPS_GITHUB_WEBHOOK_SECRET (the webhook\'s secret) where dops serve runs'),
    verify: (s, raw, req) => verifyGithub(s.github!, raw, req.headers['x-hub-signature-256']),
    delivery: (req) => header(req, 'x-github-delivery'),
    read: (req, body) => githubDelivery(header(req, 'x-github-event') ?? '', body),
  },
  {
    name: 'gitlab',
    summary: 'GitLab webhook: a push to an app\'s trigger branch deploys the commit (X-Gitlab-Token and/or webhook-signature)',
    configured: (s) => (s.gitlabToken || s.gitlabSigning ? undefined : 'set DOPS_GITLAB_WEBHOOK_TOKEN (the secret token) and/or DOPS_GITLAB_SIGNING_SECRET (the signing token) where dops serve runs'),
    verify: (s, raw, req) => {
      // every check configured must pass
      const token = s.gitlabToken ? verifyGitlabToken(s.gitlabToken, req.headers['x-gitlab-token']) : ({ok: true} as Check)
      if (!token.ok || !s.gitlabSigning) return token
      return verifyStandardWebhook(s.gitlabSigning, raw, {id: req.headers['webhook-id'], timestamp: req.headers['webhook-timestamp'], signature: req.headers['webhook-signature']})
    },
    delivery: (req) => header(req, 'idempotency-key') ?? header(req, 'webhook-id') ?? header(req, 'x-gitlab-event-uuid'),
    read: (req, body) => gitlabDelivery(header(req, 'x-gitlab-event'), body),
  },
]

async function deliver(ctx: ServeContext, secrets: HookSecrets, forge: Forge, req: FastifyRequest): Promise<Answer> {
  const rawId = forge.delivery(req)
  const delivery = safeId(rawId)
  const who = `delivery ${delivery ?? '(no id)'}`
  const missing = forge.configured(secrets)
  if (missing) return error(404, 'HOOK_NOT_CONFIGURED', `the ${forge.name} webhook is not configured: ${missing}`, `${who}: refused: not configured`)
  const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0)
  const check = forge.verify(secrets, raw, req)
  if (!check.ok) return error(401, 'BAD_SIGNATURE', `the delivery is not signed with this server's secret: ${check.reason}`, `${who}: refused: ${check.reason}`)
  if (rawId !== undefined && !delivery) return error(400, 'BAD_DELIVERY_ID', 'the delivery id header is not printable or longer than 200 characters', `${who}: refused: bad delivery id`)
  if (!ctx.leader.isLeader()) {
    const h = ctx.leader.holder()
    const retry = h ? Math.max(1, Math.min(300, Math.ceil((Date.parse(h.expiresAt) - Date.now()) / 1000) || 15)) : 15
    const a = error(503, 'NOT_LEADER', `this server does not act on webhooks: ${h ? `the leader is ${h.owner}` : 'no leader now'}; redeliver to it or retry`, `${who}: not the leader`)
    return {...a, headers: {'retry-after': String(retry)}}
  }
  let d: Delivery
  try {
    d = forge.read(req, parseBody(raw, req.headers['content-type']))
  } catch (e) {
    if (!(e instanceof BadPayload)) throw e
    return error(400, 'BAD_PAYLOAD', e.message, `${who}: refused: ${e.message}`)
  }
  if (d.event === 'ping') return {status: 200, body: {ok: true, ping: true}, log: `${who}: ping${d.repo ? ` from ${d.repo}` : ''}`}
  if (d.event === 'other') return {status: 202, body: {ignored: `event ${d.name} is not a push`}, log: `${who}: ignored event ${d.name}`}
  let plan
  try {
    const {loadPlan} = await import('../../plan/load.js')
    plan = (await loadPlan(ctx.planFile)).loaded.plan
  } catch (e) {
    return error(503, 'PLAN_INVALID', `the plan cannot be read: ${(e as Error).message}`, `${who}: the plan cannot be read`)
  }
  return handlePush(ctx, plan, d.push, delivery)
}

export default async function plugin(app: FastifyInstance, opts: {ctx: ServeContext}): Promise<void> {
  const ctx = opts.ctx
  const secrets = takeHookSecrets()
  // this context only: the raw bytes, verified before anything reads them
  app.removeAllContentTypeParsers()
  app.addContentTypeParser(['application/json', 'application/x-www-form-urlencoded'], {parseAs: 'buffer', bodyLimit: HOOK_BODY_LIMIT}, (_req, body, done) => done(null, body))
  app.setErrorHandler((err: Error & {statusCode?: number; code?: string}, req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500
    const code = status === 413 ? 'BODY_TOO_LARGE' : status === 415 ? 'UNSUPPORTED_MEDIA_TYPE' : status < 500 ? 'BAD_REQUEST' : 'INTERNAL'
    const message = status === 413 ? `the body is over ${HOOK_BODY_LIMIT} bytes` : status === 415 ? 'send application/json or application/x-www-form-urlencoded' : status < 500 ? err.message : 'internal error; see the server log'
    ctx.log(`webhook ${req.url}: refused: ${status} ${code}${status >= 500 ? `: ${err.message}` : ''}`)
    void reply.code(status).send({error: {code, message}})
  })
  for (const forge of FORGES) {
    const schema = {tags: ['webhooks'], consumes: ['application/json', 'application/x-www-form-urlencoded'], summary: forge.summary, description: `${forge.summary}. Auth: the forge's signature (no bearer token). See docs/webhooks.md.`}
    app.post(`/hooks/${forge.name}`, {config: {auth: 'none'}, bodyLimit: HOOK_BODY_LIMIT, schema}, async (req: FastifyRequest, reply: FastifyReply) => {
      const a = await deliver(ctx, secrets, forge, req)
      ctx.log(`webhook ${forge.name} ${a.log}`)
      for (const [k, v] of Object.entries(a.headers ?? {})) void reply.header(k, v)
      return reply.code(a.status).send(a.body)
    })
  }
}
