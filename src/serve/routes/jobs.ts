import type {FastifyInstance} from 'fastify'
import type {ServeContext} from '../types.js'

export default async function plugin(_app: FastifyInstance, _opts: {ctx: ServeContext}): Promise<void> {}
