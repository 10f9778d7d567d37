/**
 * A proxy in front of moto's Route 53 (REST-XML) that makes changes look PENDING, as Route 53 says while it
 * propagates them (moto always answers INSYNC): a ChangeResourceRecordSets answer says PENDING, and the first
 * `pendingPolls` GetChange calls of each change answer PENDING too (Infinity: it never gets in sync). It counts the
 * change batches and the polls, and keeps each batch's body.
 */
import http from 'node:http'

export interface Route53Proxy {
  endpoint: string
  /** the ChangeResourceRecordSets bodies (XML), in order */
  batches: string[]
  /** GetChange calls answered PENDING, and all GetChange calls */
  pendingAnswers: number
  polls: number
  /** how many GetChange calls of each batch answer PENDING (Infinity: never in sync); may be changed between calls */
  pendingPolls: number
  close(): void
}

const CHANGE_BATCH = /^\/2013-04-01\/hostedzone\/[^/]+\/rrset\/?$/
const GET_CHANGE = /^\/2013-04-01\/change\/([^/?]+)/

export async function startRoute53Proxy(motoPort: number, pendingPolls: number): Promise<Route53Proxy> {
  const polls = new Map<string, number>()
  const out: Route53Proxy = {endpoint: '', batches: [], pendingAnswers: 0, polls: 0, pendingPolls, close: () => server.close()}
  const forward = (req: http.IncomingMessage, body: Buffer, res: http.ServerResponse, rewrite?: (xml: string) => string) => {
    const fwd = http.request({host: '127.0.0.1', port: motoPort, method: req.method, path: req.url, headers: req.headers}, (up) => {
      if (!rewrite) {
        res.writeHead(up.statusCode ?? 502, up.headers)
        up.pipe(res)
        return
      }
      const chunks: Buffer[] = []
      up.on('data', (c: Buffer) => chunks.push(c))
      up.on('end', () => {
        const text = rewrite(Buffer.concat(chunks).toString())
        const headers = {...up.headers, 'content-length': String(Buffer.byteLength(text))}
        res.writeHead(up.statusCode ?? 502, headers)
        res.end(text)
      })
    })
    fwd.on('error', () => res.destroy())
    fwd.end(body)
  }
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      const url = (req.url ?? '').split('?')[0]!
      if (req.method === 'POST' && CHANGE_BATCH.test(url)) {
        out.batches.push(body.toString())
        // moto gives successive batches the same change id: each batch's polls are counted afresh
        polls.clear()
        // the change is accepted, not yet in sync
        return forward(req, body, res, (xml) => xml.replace(/<Status>INSYNC<\/Status>/, '<Status>PENDING</Status>'))
      }
      const change = GET_CHANGE.exec(url)
      if (req.method === 'GET' && change) {
        out.polls++
        const n = (polls.get(change[1]!) ?? 0) + 1
        polls.set(change[1]!, n)
        if (n <= out.pendingPolls) {
          out.pendingAnswers++
          res.writeHead(200, {'content-type': 'text/xml'})
          res.end(`<?xml version="1.0" encoding="UTF-8"?><GetChangeResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><ChangeInfo><Id>/change/${change[1]}</Id><Status>PENDING</Status><SubmittedAt>2026-01-01T00:00:00.000Z</SubmittedAt></ChangeInfo></GetChangeResponse>`)
          return
        }
      }
      forward(req, body, res)
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  out.endpoint = `http://127.0.0.1:${(server.address() as {port: number}).port}`
  return out
}
