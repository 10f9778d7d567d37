/**
 * A proxy in front of moto that may rewrite the body of an answer (query protocol: EC2, Auto Scaling, ELBv2), to
 * show states moto never reaches (a target that stays `draining`, one that never turns `healthy`). `rewrite` sees
 * the action, its parameters and moto's answer, and returns the body to send instead, or undefined to pass it on.
 */
import http from 'node:http'

export interface RewriteProxy {
  endpoint: string
  /** the form bodies of the calls seen, by action */
  calls: Map<string, URLSearchParams[]>
  /** answers rewritten, by action */
  rewritten: Map<string, number>
  close(): void
}

export type Rewrite = (action: string, params: URLSearchParams, body: string) => string | undefined

export async function startRewriteProxy(motoPort: number, rewrite: Rewrite): Promise<RewriteProxy> {
  const calls = new Map<string, URLSearchParams[]>()
  const rewritten = new Map<string, number>()
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const sent = Buffer.concat(chunks)
      const params = new URLSearchParams(sent.toString())
      const action = params.get('Action') ?? String(req.headers['x-amz-target'] ?? '?')
      calls.set(action, [...(calls.get(action) ?? []), params])
      const fwd = http.request({host: '127.0.0.1', port: motoPort, method: req.method, path: req.url, headers: req.headers}, (up) => {
        const got: Buffer[] = []
        up.on('data', (c: Buffer) => got.push(c))
        up.on('end', () => {
          const body = Buffer.concat(got)
          const changed = up.headers['content-encoding'] ? undefined : rewrite(action, params, body.toString())
          if (changed !== undefined) rewritten.set(action, (rewritten.get(action) ?? 0) + 1)
          const out = changed !== undefined ? Buffer.from(changed) : body
          const headers = {...up.headers, 'content-length': String(out.length)}
          delete headers['transfer-encoding']
          res.writeHead(up.statusCode ?? 502, headers)
          res.end(out)
        })
        up.on('error', () => res.destroy())
      })
      fwd.on('error', () => res.destroy())
      fwd.end(sent)
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {endpoint: `http://127.0.0.1:${(server.address() as {port: number}).port}`, calls, rewritten, close: () => server.close()}
}

/** DescribeTargetHealth's answer with every listed target's state set to `state` (and the reason given). */
export function targetStates(body: string, state: string, reason = 'Target.DeregistrationInProgress'): string {
  return body.replace(/<TargetHealth>[\s\S]*?<\/TargetHealth>/g, `<TargetHealth><State>${state}</State><Reason>${reason}</Reason><Description>rewritten by the test proxy</Description></TargetHealth>`)
}
