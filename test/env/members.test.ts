/**
 * A membership of thousands of hosts reaches a handler through DOPS_MEMBERS_FILE on a real sshd host: as an
 * environment variable on the command line (the old DOPS_MEMBERS_JSON) it failed with "Argument list too long"
 * at about 1,500 members (Linux limits one argument or variable to 128 KiB).
 */
import assert from 'node:assert/strict'
import {mkdtempSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, before, test} from 'node:test'
import {runHandler, type Membership} from '../../src/env/steps/events.js'
import type {Host} from '../../src/inventory/host.js'
import {createSshTransport} from '../../src/transport/factory.js'
import {startFleet, type Fleet} from '../fleet/fleet.js'

let fleet: Fleet
before(async () => {
  fleet = await startFleet({count: 2, prefix: 'n'})
})
after(async () => fleet?.stop())

const host = (name: string): Host => ({name, address: name, group: 'lb', groups: ['lb'], labels: {}, vars: {}}) as Host

test('4,000 members reach the handler as a file; the file is removed afterwards; an unreachable handler host is a failed host', async () => {
  const transport = createSshTransport({projectDir: mkdtempSync(path.join(os.tmpdir(), 'dops-members-')), sshConfig: fleet.sshConfig})
  try {
    const hosts = Array.from({length: 4000}, (_, i) => ({name: `web-${String(i).padStart(4, '0')}.internal.example.com`, address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, port: 22}))
    const membership: Membership = {event: 'hostsJoined', group: 'web', hosts, changed: hosts.slice(-1)}
    assert.ok(JSON.stringify(membership).length > 128 * 1024, 'more than one argument may carry')
    await fleet.stopHost('n02')
    const r = await runHandler({transport, targets: [host('n01'), host('n02')], spec: {command: 'python3 -c "import json,os; m=json.load(open(os.environ[\'DOPS_MEMBERS_FILE\'])); print(len(m[\'hosts\']), m[\'hosts\'][-1][\'address\'])"; echo "$DOPS_MEMBERS_FILE"'}, membership})
    const ok = r.results.find((x) => x.host === 'n01')!
    assert.equal(ok.status, 'ok', ok.stderr + ok.error)
    const [count, file] = ok.stdout.trim().split('\n')
    assert.equal(count, `4000 ${hosts.at(-1)!.address}`)
    const gone = await (await transport.connect(host('n01'))).exec(`test -e ${file} && echo left || echo removed`)
    assert.equal(gone.stdout.trim(), 'removed')
    const down = r.results.find((x) => x.host === 'n02')!
    assert.equal(down.status, 'unreachable')
    assert.ok(down.error, 'the error says why')
    assert.equal(r.summary.total, 2)
  } finally {
    await transport.close()
  }
})
