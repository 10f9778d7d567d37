/** A moto server (pip install 'moto[server]') on 127.0.0.1:port for one test file; its last stderr in any error. */
import {spawn, spawnSync, type ChildProcess} from 'node:child_process'
import {answers, waitForPort} from '../../src/providers/local/sandbox.js'

export const haveMoto = spawnSync('sh', ['-c', 'command -v moto_server']).status === 0

export async function startMoto(port: number): Promise<ChildProcess> {
  if (await answers('127.0.0.1', port)) throw new Error(`port ${port} is taken`)
  const moto = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], {stdio: ['ignore', 'ignore', 'pipe']})
  let err = ''
  moto.stderr?.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)))
  await waitForPort('127.0.0.1', port, Date.now() + 30_000).catch((e: Error) => {
    moto.kill('SIGKILL')
    throw new Error(`${e.message}; moto said: ${err}`)
  })
  return moto
}

export interface Fault {
  status: number
  code: string
  message: string
}
export interface FaultProxy {
  endpoint: string
  /** faults answered, by action */
  faults: Map<string, number>
  /** the form bodies of the calls seen, by action */
  calls: Map<string, URLSearchParams[]>
  close(): void
}

/**
 * A proxy in front of moto that answers some calls (EC2 and Auto Scaling: query protocol) with an error instead,
 * as EC2 does (DependencyViolation while instances shut down, UnauthorizedOperation, throttling). `decide` sees the
 * action, how many times it was called (this one included) and its parameters.
 */
export async function startFaultProxy(motoPort: number, decide: (action: string, n: number, params: URLSearchParams) => Fault | undefined): Promise<FaultProxy> {
  const http = await import('node:http')
  const calls = new Map<string, URLSearchParams[]>()
  const faults = new Map<string, number>()
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      const params = new URLSearchParams(body.toString())
      const action = params.get('Action') ?? String(req.headers['x-amz-target'] ?? '?')
      calls.set(action, [...(calls.get(action) ?? []), params])
      const f = decide(action, calls.get(action)!.length, params)
      if (f) {
        faults.set(action, (faults.get(action) ?? 0) + 1)
        res.writeHead(f.status, {'content-type': 'text/xml'})
        res.end(`<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>${f.code}</Code><Message>${f.message}</Message></Error></Errors><RequestID>fault</RequestID></Response>`)
        return
      }
      const fwd = http.request({host: '127.0.0.1', port: motoPort, method: req.method, path: req.url, headers: req.headers}, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers)
        up.pipe(res)
      })
      fwd.on('error', () => res.destroy())
      fwd.end(body)
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {endpoint: `http://127.0.0.1:${(server.address() as {port: number}).port}`, faults, calls, close: () => server.close()}
}

/** What the SDK needs to talk to the test's moto: fake credentials, no instance metadata lookups. */
export const AWS_TEST_ENV = {AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'us-east-1', AWS_EC2_METADATA_DISABLED: 'true'}
export const TEST_CREDS = {accessKeyId: 'testing', secretAccessKey: 'testing'}

/**
 * A test file's moto: its port, endpoint, and SDK clients to inspect it. Each test file has a base of its own (a
 * multiple of 1000 from 10000 to 31000 (its ports stay below the ephemeral port range, 32768 and up, where an outgoing connection may hold the port moto wants) that no other file uses: `grep -rn "motoAt(" test bench`;
 * test/unit/isolation.test.ts checks), so files running at the same time never share a port; the pid part keeps two
 * runs of one file on this machine (another checkout's) apart. Prefer a base below 32000: ports from 32768 up are
 * Linux's ephemeral range, where the kernel also picks the ports of `listen(0)` and outgoing connections, so one there
 * may be taken by chance (startMoto then fails saying so).
 */
export function motoAt(base: number) {
  if (!Number.isInteger(base) || base % 1000 !== 0 || base < 10_000 || base > 31_000) throw new Error(`motoAt(${base}): the base must be a multiple of 1000 from 10000 to 31000 (its ports stay below the ephemeral port range, 32768 and up, where an outgoing connection may hold the port moto wants)`)
  const port = base + (process.pid % 1000)
  const endpoint = `http://127.0.0.1:${port}`
  const ec2 = async () => {
    const m = await import('@aws-sdk/client-ec2')
    return {m, c: new m.EC2Client({region: 'us-east-1', endpoint, credentials: TEST_CREDS})}
  }
  const asg = async () => {
    const m = await import('@aws-sdk/client-auto-scaling')
    return {m, c: new m.AutoScalingClient({region: 'us-east-1', endpoint, credentials: TEST_CREDS})}
  }
  /** an x86_64 image moto serves (any will do for instances on moto) */
  const image = async () => {
    const {m, c} = await ec2()
    return (await c.send(new m.DescribeImagesCommand({Filters: [{Name: 'architecture', Values: ['x86_64']}]}))).Images!.find((i) => i.ImageId && i.Name)!.ImageId!
  }
  return {port, endpoint, ec2, asg, image}
}
