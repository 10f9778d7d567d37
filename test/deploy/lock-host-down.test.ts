/**
 * The deploy lock lives on the first of the app's hosts by name. When that host cannot be reached, the deployment
 * ends before anything changes, as a clean error naming the lock host and why (exit 4), never an exception, and
 * no other host is touched.
 */
import assert from 'node:assert/strict'
import {existsSync, mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, before, test} from 'node:test'
import {startFleet, type Fleet} from '../fleet/fleet.js'
import {dops, json} from '../helpers.js'

let fleet: Fleet
before(async () => {
  fleet = await startFleet({count: 2, prefix: 'lk'})
})
after(async () => fleet?.stop())

test('a lock host that does not answer: a clean error naming it, exit 4, nothing changed on any host', async () => {
  const project = mkdtempSync(path.join(os.tmpdir(), 'dops-lock-down-'))
  mkdirSync(path.join(project, 'rev'))
  writeFileSync(path.join(project, 'rev/index.html'), 'v1\n')
  writeFileSync(path.join(project, 'rev/appspec.yml'), 'version: 0.0\nos: linux\nfiles:\n  - source: index.html\n    destination: /srv/web\n')
  const names = fleet.hosts.map((h) => h.name).sort()
  writeFileSync(path.join(project, 'dops.yml'), `version: 1\nproject: lk\nssh: {config: ${fleet.sshConfig}}\napps:\n  web: {source: ./rev}\nenvironments:\n  prod:\n    groups:\n      web:\n        hosts: [${names.join(', ')}]\n        apps: [web]\n`)
  const lockHost = names[0]!
  await fleet.stopHost(lockHost)
  try {
    for (const args of [['deploy'], ['deploy', '--json']]) {
      const r = await dops(args, {cwd: project})
      assert.equal(r.code, 4, `${args.join(' ')}: ${r.stdout}${r.stderr}`)
      assert.doesNotMatch(r.stderr + r.stdout, /bug in dops|INTERNAL|    at /)
      const message = args.includes('--json') ? json<{error: {message: string}}>(r).error.message : r.stderr
      assert.match(message, new RegExp(`cannot take the deploy lock on ${lockHost}: .+; nothing was changed`))
    }
    // the other host was not deployed to
    const other = fleet.hosts.find((h) => h.name === names[1])!
    assert.equal(existsSync(path.join(other.fsDir, 'srv/web')), false, 'nothing installed on the other host')
    assert.equal(existsSync(path.join(other.fsDir, 'var/lib/dops/apps')), false, 'no revision uploaded to the other host')
  } finally {
    await fleet.startHost(lockHost)
  }
})
