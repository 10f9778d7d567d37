/** `dops deploy status` tells by its exit code when it could not ask every host (as env status and logs do). */
import assert from 'node:assert/strict'
import {mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, before, test} from 'node:test'
import {startFleet, type Fleet} from '../fleet/fleet.js'
import {dops, json} from '../helpers.js'

let fleet: Fleet
let project: string
before(async () => {
  fleet = await startFleet({count: 1, prefix: 'ds'})
  project = mkdtempSync(path.join(os.tmpdir(), 'dops-status-exit-'))
  mkdirSync(path.join(project, 'build'))
  writeFileSync(path.join(project, 'build', 'appspec.yml'), 'version: 0.0\nos: linux\n')
  // port 1 on loopback: nothing listens there, the connection is refused at once
  const plan = (hosts: string) => `version: 1\nproject: st\nssh:\n  config: ${fleet.sshConfig}\n  connectTimeout: 3s\napps:\n  web:\n    source: ./build\nenvironments:\n  prod:\n    groups:\n      web:\n        hosts: [${hosts}]\n        apps: [web]\n`
  writeFileSync(path.join(project, 'some.yml'), plan(`${fleet.hosts[0]!.name}, "root@127.0.0.1:1"`))
  writeFileSync(path.join(project, 'none.yml'), plan('"root@127.0.0.1:1"'))
  writeFileSync(path.join(project, 'all.yml'), plan(fleet.hosts[0]!.name))
})
after(async () => fleet?.stop())

test('deploy status exits 0 when every host answers, 3 when some do not, 4 when none does', async () => {
  const codes: Record<string, number> = {}
  for (const f of ['all', 'some', 'none']) {
    const r = await dops(['deploy', 'status', '-f', `${f}.yml`, '--json'], {cwd: project})
    const body = json<{hosts: Array<{host: string; reachable: boolean}>}>(r)
    assert.ok(body.hosts.length > 0, r.stderr)
    codes[f] = r.code
  }
  assert.deepEqual(codes, {all: 0, some: 3, none: 4})
})
