/**
 * Errors of `dops serve` as JSON: `{error: {code, message}}` with a 4xx/5xx status, never a stack trace. A DopsError
 * from the core keeps its code and message (and its problems); fastify's own errors (validation, body too large, bad
 * JSON) are put in words; anything else is a 500 whose message is logged, not sent.
 */
import type {FastifyError, FastifyInstance, FastifyReply, FastifyRequest} from 'fastify'
import {DopsError, ExitCode} from '../errors.js'
import {describeValidation} from './ajv.js'

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message)
  }
}

export const notFound = (message: string, extra: Record<string, unknown> = {}) => new HttpError(404, 'NOT_FOUND', message, extra)
export const badRequest = (message: string) => new HttpError(400, 'INVALID_INPUT', message)

/** The HTTP status of a core error: bad input 400, nothing to do 404/409, a held lock 409, else 500. */
function statusOf(e: DopsError): number {
  if (e.exitCode === ExitCode.INVALID_INPUT) return 400
  if (e.exitCode === ExitCode.NOTHING_TO_DO) return 404
  if (e.exitCode === ExitCode.DEPLOY_LOCKED) return 409
  if (e.exitCode === ExitCode.INTERRUPTED) return 503
  return 500
}

export function installErrorHandlers(app: FastifyInstance, log: (line: string) => void): void {
  app.setErrorHandler((err: FastifyError | HttpError | DopsError | Error, req: FastifyRequest, reply: FastifyReply) => {
    if (err instanceof HttpError) return reply.code(err.status).send({error: {code: err.code, message: err.message, ...err.extra}})
    if (err instanceof DopsError) {
      const problems = err.problems.length ? {problems: err.problems} : {}
      return reply.code(statusOf(err)).send({error: {code: err.code, message: err.message, ...problems}})
    }
    const fe = err as FastifyError
    if (fe.validation) return reply.code(400).send({error: {code: 'INVALID_INPUT', message: describeValidation(fe.validation as never, fe.validationContext ?? 'request')}})
    if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
      const code = fe.statusCode === 413 ? 'BODY_TOO_LARGE' : fe.statusCode === 415 ? 'UNSUPPORTED_MEDIA_TYPE' : fe.statusCode === 400 ? 'INVALID_INPUT' : 'BAD_REQUEST'
      return reply.code(fe.statusCode).send({error: {code, message: fe.message}})
    }
    log(`error: ${req.method} ${req.url.split('?')[0]}: ${err.message}`)
    return reply.code(500).send({error: {code: 'INTERNAL', message: 'internal error (logged by the server)'}})
  })
  app.setNotFoundHandler((req, reply) => {
    reply.code(404).send({error: {code: 'NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}`}})
  })
}
