/**
 * A pooled SSH connection that the host closed (sshd restarted, the session killed, a network cut) is not handed out
 * again: the next connect() dials anew. Before, every later command on that host (each attempt of the wait for SSH,
 * a handler after a bootstrap) failed on the dead connection until its deadline.
 */
import assert from 'node:assert/strict'
import {after, test} from 'node:test'
import type {Host} from '../../src/inventory/host.js'
import {SshTransport} from '../../src/transport/ssh.js'
import {startFleet, type Fleet} from './fleet.js'

let fleet: Fleet | undefined
after(async () => {
  await fleet?.stop()
})

test('a connection the host closed is dialled again by the next connect()', async () => {
  fleet = await startFleet({count: 1, prefix: 'p'})
  const h = fleet.hosts[0]!
  const host: Host = {name: h.name, address: h.address, port: h.port, user: 'root', group: 'fleet', groups: ['fleet'], labels: {}, vars: {}, ssh: {connectTimeout: '5s'}}
  const transport = new SshTransport({projectDir: fleet.dir, knownHosts: [fleet.knownHosts], identityFile: fleet.clientKey})
  try {
    const first = await transport.connect(host)
    assert.equal((await first.exec('true')).exitCode, 0)
    // the host drops this connection: its sshd process for it is killed
    const cut = await first.exec('kill -9 $PPID')
    assert.notEqual(cut.exitCode, 0, 'the session died with its connection')
    for (let i = 0; i < 50 && (await transport.connect(host)) === first; i++) await new Promise((r) => setTimeout(r, 100))
    const again = await transport.connect(host)
    assert.notEqual(again, first, 'a new connection')
    assert.equal((await again.exec('echo ok')).stdout, 'ok\n')
  } finally {
    await transport.close()
  }
})
