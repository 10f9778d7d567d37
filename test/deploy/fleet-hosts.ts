/** Connections to the test fleet's hosts through dops's own SSH transport, for tests of one host's steps. */
import path from 'node:path'
import type {Host} from '../../src/inventory/host.js'
import {resolveEnvironment} from '../../src/inventory/resolve.js'
import {parsePlan} from '../../src/plan/load.js'
import {createSshTransport} from '../../src/transport/factory.js'
import type {SshTransport} from '../../src/transport/ssh.js'
import type {Fleet} from '../fleet/fleet.js'

export async function fleetHosts(fleet: Fleet, projectDir: string): Promise<{hosts: Host[]; transport: SshTransport}> {
  const names = fleet.hosts.map((h) => h.name).join(', ')
  const {loaded} = parsePlan(path.join(fleet.dir, 'dops.yml'), `version: 1\nproject: t\nssh:\n  config: ${fleet.sshConfig}\nenvironments:\n  e:\n    groups:\n      web:\n        hosts: [${names}]\n`)
  const hosts = await resolveEnvironment(loaded, 'e')
  return {hosts, transport: createSshTransport({projectDir, planSsh: loaded.plan.ssh})}
}
