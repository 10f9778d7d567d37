/**
 * `dops serve`: open the job store and runner, the leader lease and the scheduler, build the application and listen.
 * Prints nothing: the command says where it listens (the returned url) and passes `log` for the server's lines.
 */
import path from 'node:path'
import type {FastifyInstance} from 'fastify'
import {InvalidInputError} from '../errors.js'
import {checkBind, DEFAULT_LISTEN, formatHost, parseListen, readTls} from './listen.js'
import {loadTokens, type TokenSet} from './tokens.js'
import type {ServeContext} from './types.js'

export interface ServeOptions {
  cwd: string
  /** the plan file (default dops.yml in cwd) */
  planFile?: string
  /** HOST:PORT (default 127.0.0.1:8080) */
  listen?: string
  tlsCert?: string
  tlsKey?: string
  insecureHttp?: boolean
  publicRead?: boolean
  /** DOPS_TOKENS's value, and a tokens file */
  tokensEnv?: string
  tokensFile?: string
  bodyLimit?: number
  sseHeartbeatMs?: number
  version: string
  log: (line: string) => void
}

export interface RunningServer {
  url: string
  app: FastifyInstance
  ctx: ServeContext
  tokens: TokenSet
  /** read DOPS_TOKENS (as given) and the tokens file again: the number of tokens; on an error the old ones stay */
  reloadTokens(): number
  /** stop listening, stop the scheduler, cancel and wait for running jobs (bounded), release the lease */
  close(): Promise<void>
}

export async function startServe(o: ServeOptions): Promise<RunningServer> {
  // everything the user gave is checked before anything is opened
  const addr = parseListen(o.listen ?? DEFAULT_LISTEN)
  const https = readTls(o.tlsCert, o.tlsKey)
  checkBind(addr, {tls: Boolean(https), insecureHttp: Boolean(o.insecureHttp)})
  const tokens = loadTokens({env: o.tokensEnv, file: o.tokensFile})
  // fastify and the server's modules load while the plan is read
  const modules = Promise.all([import('./app.js'), import('./jobs/index.js'), import('./leader.js'), import('./schedules/scheduler.js')])
  modules.catch(() => {})
  const {findPlanFile, loadPlan} = await import('../plan/load.js')
  const planFile = o.planFile ? path.resolve(o.cwd, o.planFile) : await findPlanFile(o.cwd)
  if (!planFile) throw new InvalidInputError(`no plan: there is no dops.yml in ${o.cwd}; pass -f PLAN`)
  const {loaded} = await loadPlan(planFile)
  const projectDir = loaded.dir
  if (!tokens.entries.length) o.log(`warning: no tokens (DOPS_TOKENS or --tokens-file): every API route answers 401${o.publicRead ? ' except reads (--public-read)' : ''} (/health, /openapi.json, the dashboard's page and the webhooks, which check their own signatures, still answer)`)

  const [{buildServer}, {openJobs}, {openLeader}, {startScheduler}] = await modules
  const {store, runner} = await openJobs(projectDir, planFile)
  const closers: Array<() => Promise<void>> = [() => runner.close()]
  const closeAll = async () => {
    for (const c of closers.splice(0).reverse()) await c().catch((e: Error) => o.log(`error while stopping: ${e.message}`))
  }
  try {
    const leader = await openLeader({projectDir, planFile, log: o.log})
    closers.unshift(() => leader.close())
    const ctx: ServeContext = {projectDir, planFile, version: o.version, runner, store, leader, publicRead: Boolean(o.publicRead), log: o.log}
    const app = await buildServer(ctx, {tokens, https, bodyLimit: o.bodyLimit, sseHeartbeatMs: o.sseHeartbeatMs}).catch((e: Error & {code?: string}) => {
      // a key that is not the certificate's, a PEM block that does not parse
      if (https && (e.code?.startsWith('ERR_OSSL') || /PEM|key|certificate/i.test(e.message))) throw new InvalidInputError(`--tls-cert ${o.tlsCert} / --tls-key ${o.tlsKey}: ${e.message}`)
      throw e
    })
    const scheduler = await startScheduler(ctx)
    closers.push(() => scheduler.stop())
    closers.push(() => app.close())
    await app.listen({host: addr.host, port: addr.port}).catch((e: NodeJS.ErrnoException) => {
      throw new InvalidInputError(`cannot listen on ${formatHost(addr.host)}:${addr.port}: ${e.code ?? e.message}${e.code === 'EADDRINUSE' ? ' (another process listens there)' : e.code === 'EADDRNOTAVAIL' ? ' (not an address of this machine)' : ''}`)
    })
    // the route schemas are compiled now, off the start-up path; one Ajv refuses is a bug, logged
    const {compilePending} = await import('./ajv.js')
    setImmediate(() => compilePending().forEach((e) => o.log(`error: a route schema does not compile: ${e.message}`))).unref()
    const bound = app.server.address()
    const port = typeof bound === 'object' && bound ? bound.port : addr.port
    const url = `${https ? 'https' : 'http'}://${formatHost(addr.host)}:${port}`
    const reloadTokens = () => {
      // the set the auth hook holds is updated in place, all at once
      tokens.entries = loadTokens({env: o.tokensEnv, file: o.tokensFile}).entries
      return tokens.entries.length
    }
    return {url, app, ctx, tokens, reloadTokens, close: closeAll}
  } catch (e) {
    await closeAll()
    throw e
  }
}
