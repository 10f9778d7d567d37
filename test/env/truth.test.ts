/**
 * Plans that tell the truth and failures that show their cause, on a static fleet host (`edge`) in front of an `api`
 * group on the local provider: the desired revision after a rollback, env plan on stdout with --detailed-exitcode,
 * --dry-run, scale asking for --yes, a failed bootstrap's output, a deployment's record named, an unreachable static
 * handler host, a broken state file, env status's exit code, and a membership of thousands of hosts.
 */
import assert from 'node:assert/strict'
import {cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, before, test} from 'node:test'
import type {EnvReport} from '../../src/env/env-job.js'
import {startFleet, type Fleet} from '../fleet/fleet.js'
import {dops, json} from '../helpers.js'

let fleet: Fleet
let project: string
const run = (args: string[], env = 'prod') => dops(args, {cwd: project, env: {DOPS_ENV: env}})
const served = async () => json<{results: Array<{host: string; stdout: string}>}>(await run(['run', '-g', 'api', '--json', '--', 'cat /srv/api/index.html'])).results.map((r) => `${r.host}=${r.stdout.trim()}`).sort()
const setVersion = (v: string) => writeFileSync(path.join(project, 'app/index.html'), `${v}\n`)

before(async () => {
  fleet = await startFleet({count: 2, prefix: 't'})
  project = mkdtempSync(path.join(os.tmpdir(), 'dops-truth-'))
  mkdirSync(path.join(project, 'app/scripts'), {recursive: true})
  writeFileSync(path.join(project, 'app/appspec.yml'), 'version: 0.0\nos: linux\nfiles:\n  - source: index.html\n    destination: /srv/api\nhooks:\n  ValidateService:\n    - location: scripts/check.sh\n')
  writeFileSync(path.join(project, 'app/scripts/check.sh'), '#!/bin/sh\nif grep -q broken /srv/api/index.html; then echo "validate-cause: the page says broken" >&2; exit 4; fi\n')
  setVersion('v1')
  writeFileSync(
    path.join(project, 'dops.yml'),
    `version: 1
project: truthtest
ssh: {config: ${fleet.sshConfig}}
providers:
  sandbox: {type: local}
apps:
  api: {source: ./app}
environments:
  prod:
    groups:
      edge: {hosts: [t01]}
      api:
        provider: sandbox
        instance: {count: 1}
        apps: [api]
        on:
          hostsJoined: [{group: edge, run: 'echo "$DOPS_EVENT $DOPS_HOSTS" >> /srv/members.log'}]
  boot:
    groups:
      w:
        provider: sandbox
        instance: {count: 1}
        bootstrap:
          - run: 'echo "first line"; echo "boot-cause: no such package libfoo" >&2; exit 3'
  dark:
    groups:
      lb: {hosts: [t02]}
      x:
        provider: sandbox
        instance: {count: 1}
        on:
          hostsJoined: [{group: lb, run: 'echo joined'}]
          hostsLeft: [{group: lb, run: 'echo left'}]
`,
  )
})
after(async () => {
  for (const e of ['prod', 'boot', 'dark']) if (project) await run(['env', 'down', '--yes'], e)
  await fleet?.stop()
})

test('after a rollback, env up and scale deploy the rolled-back revision; env plan shows differing hosts, with --detailed-exitcode', async () => {
  const up = await run(['env', 'up', '--json'])
  assert.equal(up.code, 0, up.stdout.slice(-2000) + up.stderr)
  assert.deepEqual(await served(), ['api-1=v1'])
  // the plan is a result: on stdout
  const plain = await run(['env', 'plan', '--detailed-exitcode'])
  assert.equal(plain.code, 0, plain.stdout + plain.stderr)
  assert.match(plain.stdout, /^env plan truthtest\/prod/m)
  assert.match(plain.stdout, /no changes/)
  // a new revision in the working tree: the host that runs v1 differs, and that is a change (exit 10)
  setVersion('v2')
  const drift = await run(['env', 'plan', '--detailed-exitcode', '--json'])
  assert.equal(drift.code, 10, drift.stdout + drift.stderr)
  const dep = json<EnvReport>(drift).steps.find((s) => s.kind === 'deploy')
  assert.ok(dep?.kind === 'deploy' && dep.behind?.join() === 'api-1', JSON.stringify(dep))
  assert.equal((await run(['deploy', '--json'])).code, 0)
  assert.equal((await run(['env', 'plan', '--detailed-exitcode'])).code, 0)
  // rollback to v1: it stays the desired revision; env up does not put v2 back
  const rb = await run(['rollback', '--json'])
  assert.equal(rb.code, 0, rb.stdout.slice(-2000) + rb.stderr)
  assert.deepEqual(await served(), ['api-1=v1'])
  const plan = await run(['env', 'plan', '--detailed-exitcode', '--json'])
  assert.equal(plan.code, 0, plan.stdout)
  assert.equal(json<EnvReport>(plan).steps.find((s) => s.kind === 'deploy')?.kind === 'deploy' && (json<EnvReport>(plan).steps.find((s) => s.kind === 'deploy') as {revision: {source: string}}).revision.source, 'rollback')
  const again = json<EnvReport>(await run(['env', 'up', '--json']))
  assert.deepEqual(again.deployments.map((d) => d.status), ['up to date'])
  assert.deepEqual(await served(), ['api-1=v1'])
  // scale-out gets the rolled-back revision, as CodeDeploy's scale-out gets the last successful one
  const sc = await run(['scale', 'api=2', '--json'])
  assert.equal(sc.code, 0, sc.stdout.slice(-2000) + sc.stderr)
  assert.deepEqual(await served(), ['api-1=v1', 'api-2=v1'])
  // the next deploy ends the pin
  assert.equal((await run(['deploy', '--json'])).code, 0)
  assert.deepEqual(await served(), ['api-1=v2', 'api-2=v2'])
  assert.equal((await run(['env', 'plan', '--detailed-exitcode'])).code, 0)
  // an explicit --revision pins too: env up does not replace it with the working tree's
  cpSync(path.join(project, 'app'), path.join(project, 'app-v3'), {recursive: true})
  writeFileSync(path.join(project, 'app-v3/index.html'), 'v3\n')
  assert.equal((await run(['deploy', '--revision', 'app-v3', '--json'])).code, 0)
  assert.equal((await run(['env', 'plan', '--detailed-exitcode'])).code, 0)
  assert.deepEqual(json<EnvReport>(await run(['env', 'up', '--json'])).deployments.map((d) => d.status), ['up to date'])
  assert.deepEqual(await served(), ['api-1=v3', 'api-2=v3'])
  assert.equal((await run(['deploy', '--json'])).code, 0)
  assert.deepEqual(await served(), ['api-1=v2', 'api-2=v2'])
})

test('scale that removes hosts needs --yes off a terminal; --dry-run prints the steps and changes nothing', async () => {
  const refused = await run(['scale', 'api=1'])
  assert.equal(refused.code, 2, refused.stdout + refused.stderr)
  assert.match(refused.stderr, /this would destroy 1 host\(s\) of api \(api-2\).*run again with --yes/)
  const dry = await run(['scale', 'api=1', '--dry-run'])
  assert.equal(dry.code, 0, dry.stdout + dry.stderr)
  assert.match(dry.stdout, /destroy 1 host\(s\) of api: api-2/)
  const upDry = await run(['env', 'up', '--dry-run', '--json'])
  assert.equal(upDry.code, 0)
  assert.equal(json<EnvReport>(upDry).dryRun, true)
  assert.deepEqual(await served(), ['api-1=v2', 'api-2=v2'], 'nothing was changed')
  assert.equal((await run(['scale', 'api=1', '--yes'])).code, 0)
  assert.deepEqual(await served(), ['api-1=v2'])
})

test('a failed deployment in env up names its record; env status exits 3 when a host is gone', async () => {
  setVersion('broken')
  const up = await run(['env', 'plan', '--detailed-exitcode'])
  assert.equal(up.code, 10)
  const r = await run(['env', 'up'])
  assert.notEqual(r.code, 0)
  const record = /every host's hooks and output: (\S+)/.exec(r.stderr)?.[1]
  assert.ok(record, r.stderr)
  assert.match(readFileSync(path.resolve(project, record), 'utf8'), /validate-cause: the page says broken/)
  // and the failed hook's output is under the host's failure line
  assert.match(r.stderr, /api-1: failed[^\n]*ValidateService[^\n]*\n\s+stderr:\n(\s+.*\n)*\s+validate-cause: the page says broken/)
  setVersion('v2')
  assert.equal((await run(['env', 'status'])).code, 0)
  const state = JSON.parse(readFileSync(path.join(project, '.dops/state/truthtest-prod.json'), 'utf8')) as {groups: Record<string, {instances: Array<{data: {pid: number}}>}>}
  process.kill(state.groups.api!.instances[0]!.data.pid, 'SIGKILL')
  await new Promise((res) => setTimeout(res, 300))
  const st = await run(['env', 'status'])
  assert.equal(st.code, 3, st.stdout + st.stderr)
})

test('a failed bootstrap shows the last lines of its output under the host', async () => {
  const r = await run(['env', 'up'], 'boot')
  assert.equal(r.code, 3, r.stdout + r.stderr)
  assert.match(r.stderr, /w-1: failed \(exit 3\)[^\n]*\n\s+stderr:\n\s+boot-cause: no such package libfoo\n\s+stdout:\n\s+first line/)
})

test('an unreachable static handler host is a recorded failure (exit 3); env down still removes the environment', async () => {
  const up = await run(['env', 'up', '--json'], 'dark')
  assert.equal(up.code, 0, up.stdout.slice(-2000) + up.stderr)
  await fleet.stopHost('t02')
  const down = await run(['env', 'down', '--yes', '--json'], 'dark')
  assert.equal(down.code, 3, down.stdout.slice(-2000) + down.stderr)
  const rep = json<EnvReport>(down)
  assert.equal(rep.events[0]!.hosts[0]!.status, 'unreachable')
  assert.deepEqual(rep.changes.map((c) => c.group), ['x'])
  const state = JSON.parse(readFileSync(path.join(project, '.dops/state/truthtest-dark.json'), 'utf8')) as {groups: object}
  assert.deepEqual(state.groups, {})
})

test('a truncated state file is a located problem naming the file, not a bug', async () => {
  const file = path.join(project, '.dops/state/truthtest-prod.json')
  const text = readFileSync(file, 'utf8')
  writeFileSync(file, text.slice(0, 40))
  try {
    for (const cmd of [['env', 'plan'], ['env', 'up'], ['env', 'status']]) {
      const r = await run(cmd)
      assert.equal(r.code, 2, `${cmd.join(' ')}: ${r.stderr}`)
      assert.ok(r.stderr.includes(file), r.stderr)
      assert.doesNotMatch(r.stderr, /bug in dops/)
    }
  } finally {
    writeFileSync(file, text)
  }
  // a deployment record cut short: env plan reads the records for the desired revision
  const {readdirSync} = await import('node:fs')
  const dir = path.join(project, '.dops/deployments')
  const rec = path.join(dir, readdirSync(dir).filter((n) => n.endsWith('.json')).sort()[0]!)
  const saved = readFileSync(rec, 'utf8')
  writeFileSync(rec, saved.slice(0, 30))
  try {
    const r = await run(['env', 'plan'])
    assert.equal(r.code, 2, r.stderr)
    assert.ok(r.stderr.includes(rec), r.stderr)
    assert.doesNotMatch(r.stderr, /bug in dops/)
  } finally {
    writeFileSync(rec, saved)
  }
})
