/**
 * A proxy in front of moto's Route 53 (REST-XML) that makes changes look PENDING, as Route 53 says while it
 * propagates them (moto always answers INSYNC): a ChangeResourceRecordSets answer says PENDING, and the first
 * `pendingPolls` GetChange calls of each change answer PENDING too (Infinity: it never gets in sync). It counts the
 * change batches and the polls, and keeps each batch's body. `beforeBatch` runs just before a batch reaches moto (a
 * record made between dops's listing and its change); `strictCreate` answers a CREATE of a record the zone already
 * has with InvalidChangeBatch, as Route 53 does (moto lets it overwrite the record).
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
  beforeBatch?: () => Promise<void>
  strictCreate?: boolean
  close(): void
}

/** `name. TYPE` of an XML block holding a record set (whatever the order of its elements). */
const nameType = (block: string) => `${(/<Name>([^<]+)<\/Name>/.exec(block)?.[1] ?? '').replace(/\.?$/, '.').toLowerCase()} ${/<Type>([^<]+)<\/Type>/.exec(block)?.[1] ?? ''}`
/** The (name, type) of each CREATE of a batch's XML body: `app.example.test. A`. */
const creates = (xml: string) => [...xml.matchAll(/<Change>([\s\S]*?)<\/Change>/g)].filter((m) => /<Action>CREATE<\/Action>/.test(m[1]!)).map((m) => nameType(m[1]!))

/** The zone's record sets as moto has them: `name. TYPE` (first page is enough for a test zone). */
function existing(motoPort: number, url: string, authorization: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    // moto's server tells Route 53 from the other services by the credential scope of the signature
    http.get({host: '127.0.0.1', port: motoPort, path: url, headers: {authorization}}, (res) => {
      let text = ''
      res.on('data', (c: Buffer) => (text += c.toString()))
      res.on('end', () => resolve([...text.matchAll(/<ResourceRecordSet>([\s\S]*?)<\/ResourceRecordSet>/g)].map((m) => nameType(m[1]!))))
    }).on('error', reject)
  })
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
        void (async () => {
          await out.beforeBatch?.()
          const have = out.strictCreate ? new Set(await existing(motoPort, url, req.headers.authorization ?? '')) : new Set<string>()
          const taken = creates(body.toString()).find((k) => have.has(k))
          if (taken) {
            const [name, type] = taken.split(' ')
            res.writeHead(400, {'content-type': 'text/xml'})
            res.end(`<?xml version="1.0"?><ErrorResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><Error><Type>Sender</Type><Code>InvalidChangeBatch</Code><Message>Tried to create resource record set [name='${name}', type='${type}'] but it already exists</Message></Error><RequestId>proxy</RequestId></ErrorResponse>`)
            return
          }
          // moto gives successive batches the same change id: each batch's polls are counted afresh
          polls.clear()
          // the change is accepted, not yet in sync
          forward(req, body, res, (xml) => xml.replace(/<Status>INSYNC<\/Status>/, '<Status>PENDING</Status>'))
        })().catch(() => res.destroy())
        return
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
