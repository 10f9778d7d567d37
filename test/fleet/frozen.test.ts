/**
 * A frozen host (every process stopped: the kernel still accepts TCP, nothing answers SSH) never holds a command
 * past its deadline: a session asked of a connection made before the freeze fails within the connect timeout, and
 * a tunnel through it as a jump host is refused within the jump host's connect timeout, and a new connection fails
 * at the handshake; each error names the host and the step.
 */
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {after, test} from 'node:test'
import type {Host} from '../../src/inventory/host.js'
import {SshTransport} from '../../src/transport/ssh.js'
import {startFleet, type Fleet} from './fleet.js'

let fleet: Fleet | undefined
let frozen: number[] = []
after(async () => {
  if (frozen.length) execFileSync('kill', ['-CONT', ...frozen.map(String)])
  await fleet?.stop()
})

const tree = (pid: number): number[] => [pid, ...execFileSync('sh', ['-c', `pgrep -P ${pid} || true`]).toString().split('\n').filter(Boolean).flatMap((c) => tree(Number(c)))]

test('a host frozen after login: exec and a tunnel through it fail within the deadline naming the host; a new connection fails at the handshake', async () => {
  fleet = await startFleet({count: 3})
  const h = fleet.hosts[0]!
  const host: Host = {name: h.name, address: h.address, port: h.port, user: 'root', group: 'fleet', groups: ['fleet'], labels: {}, vars: {}, ssh: {connectTimeout: '2s'}}
  const opts = {projectDir: fleet.dir, knownHosts: [fleet.knownHosts], identityFile: fleet.clientKey}
  const transport = new SshTransport(opts)
  try {
    const conn = await transport.connect(host)
    assert.equal((await conn.exec('true')).exitCode, 0)
    // a connection through host01 as jump host, made before the freeze
    const via = (n: number): Host => ({...host, name: fleet!.hosts[n]!.name, address: fleet!.hosts[n]!.address, ssh: {proxyJump: `root@${h.address}`}})
    assert.equal((await (await transport.connect(via(1))).exec('true')).exitCode, 0)
    frozen = tree(h.proc!.pid!).slice(1)
    execFileSync('kill', ['-STOP', ...frozen.map(String)])
    // a new host through the frozen jump host: the tunnel is never opened
    const tj = Date.now()
    await assert.rejects(transport.connect(via(2)), /jump host host01 did not open a tunnel to host03 \(127\.0\.\d+\.4:22\) within 2s/)
    assert.ok(Date.now() - tj < 8000, `took ${Date.now() - tj} ms`)
    const t0 = Date.now()
    await assert.rejects(conn.exec('true'), /^ConnectError: host01: the SSH server did not open a session within 2s/)
    assert.ok(Date.now() - t0 < 8000, `took ${Date.now() - t0} ms`)
    const fresh = new SshTransport(opts)
    try {
      const t1 = Date.now()
      await assert.rejects(fresh.connect(host), /connection to host01 \(root@127\.0\.\d+\.2:22\) timed out after 2s waiting for the SSH handshake/)
      assert.ok(Date.now() - t1 < 8000, `took ${Date.now() - t1} ms`)
    } finally {
      await fresh.close()
    }
  } finally {
    await transport.close()
  }
})
