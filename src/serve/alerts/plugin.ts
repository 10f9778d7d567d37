/**
 * Alertmanager → dops: `POST /hooks/alertmanager` (payload version 4; its own bearer token, since Alertmanager
 * signs nothing: `DOPS_ALERTMANAGER_TOKEN`, compared in constant time) and `GET /recovery` (the decisions, newest
 * first, for the dashboard and scripts).
 *
 * A delivery is answered at once (200 `{accepted}`) and decided afterwards, one delivery at a time. A malformed
 * payload is a 400 (final for Alertmanager: it retries only 5xx). A server that is not the leader answers 200
 * `{ignored: 'not the leader'}` and records nothing: point Alertmanager at every `dops serve` (one webhook each),
 * and only the leader acts. Too many deliveries waiting: 503 (Alertmanager retries).
 */
import {createHash, timingSafeEqual} from 'node:crypto'
import type {FastifyInstance, FastifyReply, FastifyRequest} from 'fastify'
import {Recovery} from '../../recover/engine.js'
import {RecoveryJournal} from '../../recover/journal.js'
import {registerRecoveryKinds} from '../../recover/kinds.js'
import {MIN_TOKEN_LENGTH} from '../tokens.js'
import type {ServeContext} from '../types.js'
import {alertsOf, payloadSchema, type Payload} from './payload.js'

export interface AlertsOptions {
  ctx: ServeContext
  /** default: `DOPS_ALERTMANAGER_TOKEN` */
  alertmanagerToken?: string
}

const decision = {
  type: 'object',
  properties: {
    id: {type: 'string'},
    at: {type: 'string'},
    env: {type: 'string'},
    group: {type: 'string'},
    host: {type: 'string'},
    alert: {type: 'string'},
    fingerprint: {type: 'string'},
    startsAt: {type: 'string'},
    action: {enum: ['restart', 'replace', 'run', 'scale']},
    asked: {enum: ['restart', 'replace', 'run', 'scale']},
    outcome: {enum: ['acted', 'dry-run', 'suppressed', 'ignored', 'succeeded', 'failed', 'cancelled', 'verified-healthy']},
    guard: {type: 'string'},
    reason: {type: 'string'},
    jobId: {type: 'string'},
    params: {type: 'object'},
    timings: {type: 'object', properties: {decideMs: {type: 'number'}, waitedMs: {type: 'number'}, actMs: {type: 'number'}, totalMs: {type: 'number'}}},
  },
} as const
const decisionsResponse = {type: 'object', properties: {decisions: {type: 'array', items: {...decision, properties: {...decision.properties, ended: decision}}}}} as const

const digest = (s: string) => createHash('sha256').update(s).digest()
const fail = (reply: FastifyReply, status: number, code: string, message: string) => reply.code(status).send({error: {code, message}})

export default async function plugin(app: FastifyInstance, opts: AlertsOptions): Promise<void> {
  const {ctx} = opts
  registerRecoveryKinds(() => ctx.leader.isLeader())
  const journal = new RecoveryJournal(ctx.projectDir)
  await journal.open()
  const recovery = new Recovery({projectDir: ctx.projectDir, planFile: ctx.planFile, runner: ctx.runner, journal, log: ctx.log, isLeader: () => ctx.leader.isLeader()})
  const token = opts.alertmanagerToken ?? process.env.DOPS_ALERTMANAGER_TOKEN
  // read once, then out of the environment: the commands of recovery jobs never inherit it
  delete process.env.DOPS_ALERTMANAGER_TOKEN
  const strong = token !== undefined && token.length >= MIN_TOKEN_LENGTH
  const want = strong ? digest(token) : undefined
  ctx.log(
    strong
      ? 'alerts: POST /hooks/alertmanager takes Alertmanager webhooks (bearer token DOPS_ALERTMANAGER_TOKEN)'
      : `alerts: off (${token === undefined ? 'DOPS_ALERTMANAGER_TOKEN is not set' : `DOPS_ALERTMANAGER_TOKEN is shorter than ${MIN_TOKEN_LENGTH} characters`}): POST /hooks/alertmanager answers 401`,
  )
  app.addHook('onClose', async () => {
    await Promise.race([recovery.idle(), new Promise((r) => setTimeout(r, 5000).unref())])
  })

  const authorize = async (req: FastifyRequest, reply: FastifyReply) => {
    if (!want) return fail(reply.header('www-authenticate', 'Bearer'), 401, 'UNAUTHORIZED', `this server takes no alerts: start it with DOPS_ALERTMANAGER_TOKEN set (${MIN_TOKEN_LENGTH} characters at least)`)
    const m = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')
    if (!m || !timingSafeEqual(digest(m[1]!), want)) return fail(reply.header('www-authenticate', 'Bearer'), 401, 'UNAUTHORIZED', 'missing or wrong bearer token (DOPS_ALERTMANAGER_TOKEN)')
  }

  app.post(
    '/hooks/alertmanager',
    {config: {auth: 'none'}, bodyLimit: 4 * 1024 * 1024, onRequest: authorize, attachValidation: true, schema: {description: "Alertmanager's webhook (payload version 4): the alerts dops acts on by the plan's `on.alert` policies. Its own bearer token (DOPS_ALERTMANAGER_TOKEN). Answers at once; decides afterwards.", body: payloadSchema}},
    async (req, reply) => {
      const receivedAt = Date.now()
      if (req.validationError) return fail(reply, 400, 'INVALID_PAYLOAD', `not an Alertmanager webhook payload (version 4): ${req.validationError.message}`)
      if (!ctx.leader.isLeader()) return reply.code(200).send({ignored: 'not the leader', leader: ctx.leader.holder()?.owner})
      const alerts = alertsOf(req.body as Payload)
      if (!recovery.accept(alerts, receivedAt)) return fail(reply, 503, 'BUSY', 'too many deliveries wait to be decided; retry')
      return reply.code(200).send({accepted: alerts.length})
    },
  )

  app.get(
    '/recovery',
    {schema: {description: 'Recovery decisions from alerts, newest first: acted on or not, with the guard, the reason, the job and timings (`ended`: the action\'s end).', querystring: {type: 'object', additionalProperties: false, properties: {env: {type: 'string', maxLength: 128}, limit: {type: 'integer', minimum: 1, maximum: 1000}}}, response: {200: decisionsResponse}}},
    async (req) => {
      const q = req.query as {env?: string; limit?: number}
      return {decisions: journal.list({env: q.env, limit: q.limit ?? 100})}
    },
  )
}
