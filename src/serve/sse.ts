/**
 * A job's events as Server-Sent Events on the raw response (`reply.hijack()`): `id: <seq>`, `event: <type>`,
 * `data: <JSON>` frames; events after `afterSeq` are replayed first, then live ones, and the stream ends after the
 * job's terminal state. A comment line every 15 s keeps proxies from closing it. Bounded: the stream ends when the
 * client goes, and once 8 MiB wait unsent (a slow client, a long replay) it ends after those: the client reconnects
 * with `Last-Event-ID` and misses nothing.
 */
import type {FastifyReply, FastifyRequest} from 'fastify'
import type {JobEvent, JobRunner} from './types.js'

export const HEARTBEAT_MS = 15_000
const MAX_BUFFERED = 8 * 1024 * 1024

/** streams open at once, per process: more are answered 503 */
export const MAX_STREAMS = 500
let open = 0

export function streamsOpen(): number {
  return open
}

export function sseFrame(e: JobEvent): string {
  return `id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e.data ?? null)}\n\n`
}

export async function streamJobEvents(_req: FastifyRequest, reply: FastifyReply, runner: JobRunner, id: string, afterSeq: number, heartbeatMs = HEARTBEAT_MS): Promise<void> {
  reply.hijack()
  const res = reply.raw
  open++
  res.writeHead(200, {'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no'})
  res.write(`: events of job ${id}\n\n`)
  let closed = false
  let unsubscribe: (() => void) | undefined
  const heartbeat = setInterval(() => write(':\n\n'), heartbeatMs)
  const end = () => {
    if (closed) return
    closed = true
    open--
    clearInterval(heartbeat)
    unsubscribe?.()
    res.end()
  }
  function write(text: string) {
    if (closed) return
    res.write(text)
    if (res.writableLength > MAX_BUFFERED) end()
  }
  // the client went (or the server closes its connections)
  res.on('close', end)
  try {
    const un = await runner.subscribe(id, afterSeq, (e) => write(sseFrame(e)), end)
    if (closed) un()
    else unsubscribe = un
  } catch (e) {
    write(`event: error\ndata: ${JSON.stringify({message: (e as Error).message})}\n\n`)
    end()
  }
}
