/**
 * A rolling replacement on the local provider, end to end with the built CLI: three web hosts serving an app whose
 * rollout keeps 2 hosts healthy; the group's `size` changes, so every host is outdated. `env plan` lists the three
 * replacements with why; `env up` asks first (--yes off a terminal), then replaces them one at a time, new host
 * first, while the test asks every host of the state over HTTP every ~100 ms: never fewer than 2 serve. Afterwards
 * three new hosts, recorded with the new size, and nothing left to change. Scaling down asks too, and scale and
 * reconcile say their own name.
 */
import assert from 'node:assert/strict'
import {cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, test} from 'node:test'
import {spawn, spawnSync} from 'node:child_process'
import type {DeployReport} from '../../src/deploy/deploy-job.js'
import type {EnvReport} from '../../src/env/env-job.js'
import {sandboxUnavailable} from '../../src/providers/local/sandbox.js'
import {BIN, dops, httpGet, json, ROOT} from '../helpers.js'
import {cleanUpLocalEnv, removeProject} from './local-cleanup.js'

const PROJECT = 'replacetest'
const project = mkdtempSync(path.join(os.tmpdir(), 'dops-replace-'))
cpSync(path.join(ROOT, 'examples/local/app'), path.join(project, 'app'), {recursive: true})
const plan = (size: string, count = 3, boot = false) => `version: 1
project: ${PROJECT}
providers:
  sandbox: {type: local}
apps:
  web:
    source: ./app
    strategy: {minHealthy: 2}
    healthCheck: ${boot ? '{command: "grep -qx healthy-boot /etc/dops/boot"}' : '{http: "http://$DOPS_HOST_ADDRESS:8000/", retries: 10, interval: 200ms}'}
environments:
  local:
    groups:
      web:
        provider: sandbox
        instance: {count: ${count}, size: ${size}}
        apps: [web]
${boot ? '        bootstrap:\n          - run: mkdir -p /etc/dops && echo "${env:BOOT:-healthy-boot}" > /etc/dops/boot\n' : ''}`
writeFileSync(path.join(project, 'dops.yml'), plan('1C1G'))
const run = (args: string[]) => dops(args, {cwd: project, timeoutMs: 300_000})
const stateFile = path.join(project, '.dops/state', `${PROJECT}-local.json`)
type Inst = {id: string; name: string; address: string; data: {dir: string; shape?: Record<string, unknown>}}
const instances = (): Inst[] => (JSON.parse(readFileSync(stateFile, 'utf8')) as {groups: Record<string, {instances: Inst[]}>}).groups.web?.instances ?? []
const unavailable = sandboxUnavailable()
after(async () => {
  if (unavailable) return removeProject(project)
  const problems = await cleanUpLocalEnv({project: PROJECT, projectDir: project, env: 'local'})
  removeProject(project)
  if (problems.length) console.error(`cleanup: ${problems.join('; ')}`)
})

/** How many of the state's hosts answer the app over HTTP right now (each asked once, 1 s at most). */
async function serving(): Promise<{n: number; of: string[]}> {
  let list: Inst[]
  try {
    list = instances()
  } catch {
    return {n: -1, of: []}
  }
  const ok = await Promise.all(list.map((i) => Promise.race([httpGet(`http://${i.address}:8000/`).then((r) => r.status === 200, () => false), new Promise<boolean>((r) => setTimeout(() => r(false), 1000))])))
  return {n: ok.filter(Boolean).length, of: list.filter((_, k) => ok[k]).map((i) => i.name)}
}

/** Sample how many hosts serve, every ~100 ms, until `stop()`; returns the samples. */
function sampler(): {stop: () => Promise<Array<{n: number; of: string[]}>>} {
  let done = false
  const samples: Array<{n: number; of: string[]}> = []
  const loop = (async () => {
    const until = Date.now() + 500_000
    for (let k = 0; k < 20_000 && !done && Date.now() < until; k++) {
      const s = await serving()
      if (s.n >= 0) samples.push(s)
      await new Promise((r) => setTimeout(r, 100))
    }
  })()
  return {stop: async () => ((done = true), await loop, samples)}
}

test('changing size replaces all three hosts, one at a time, new first: never fewer than 2 serve', {skip: unavailable ?? false, timeout: 600_000}, async (t) => {
  const up = await run(['env', 'up', '--json'])
  assert.equal(up.code, 0, up.stdout.slice(-3000) + up.stderr)
  const before = instances()
  assert.equal(before.length, 3)
  assert.ok(before.every((i) => i.data.shape?.size === '1C1G'), 'each host records the shape it was made with')
  assert.equal((await serving()).n, 3)
  assert.equal((await run(['env', 'plan', '--detailed-exitcode'])).code, 0, 'nothing to change before the edit')

  writeFileSync(path.join(project, 'dops.yml'), plan('2C2G'))
  const planned = await run(['env', 'plan', '--json', '--detailed-exitcode'])
  assert.equal(planned.code, 10, 'replacements are changes')
  const p = json<EnvReport>(planned)
  const web = p.changes.find((c) => c.group === 'web')!
  assert.deepEqual(web.replace, before.map((i) => ({name: i.name, why: ['size 1C1G -> 2C2G']})))
  assert.deepEqual([web.create, web.destroy, web.replaceBatch], [0, [], 1], 'min healthy 2 of 3: one host at a time')
  const human = (await run(['env', 'plan'])).stdout
  for (const i of before) assert.match(human, new RegExp(`replace ${i.name} \\(size 1C1G -> 2C2G\\) \\[batch \\d/3\\]`))
  assert.match(human, /3 to replace/)

  // replacing destroys hosts: off a terminal it needs --yes, and without it nothing changes
  const refused = await run(['env', 'up'])
  assert.equal(refused.code, 2, refused.stdout + refused.stderr)
  assert.match(refused.stderr, /replace 3 host\(s\) of web .*run again with --yes/s)
  // on a terminal it asks, listing the replacements; "no" changes nothing (exit 6)
  const env: NodeJS.ProcessEnv = {...process.env, NO_COLOR: '1'}
  delete env.CI
  const no = spawnSync('script', ['-qec', `${process.execPath} ${BIN} env up`, '/dev/null'], {cwd: project, env, input: 'no\n', encoding: 'utf8', timeout: 60_000})
  assert.equal(no.status, 6, no.stdout + no.stderr)
  assert.match(no.stdout, /this would replace 3 host\(s\) of web \(web-1: size 1C1G -> 2C2G; /)
  assert.match(no.stdout, /nothing was changed: not confirmed/)
  assert.deepEqual(instances().map((i) => i.id), before.map((i) => i.id))

  const watch = sampler()
  const replaced = await run(['env', 'up', '--yes', '--json'])
  const samples = await watch.stop()
  assert.equal(replaced.code, 0, replaced.stdout.slice(-3000) + replaced.stderr)
  const r = json<EnvReport>(replaced)
  const least = Math.min(...samples.map((s) => s.n))
  t.diagnostic(`${samples.length} samples during the replacement; hosts serving: min ${least}, max ${Math.max(...samples.map((s) => s.n))}`)
  assert.ok(samples.length > 20, `samples taken: ${samples.length}`)
  assert.ok(least >= 2, `fewer than 2 hosts served at some point: ${JSON.stringify(samples.find((s) => s.n < 2))}`)
  assert.deepEqual(r.deployments.map((d) => `${d.app}:${d.status}`), ['web:up to date', 'web:succeeded', 'web:succeeded', 'web:succeeded'], 'each batch deployed to its new host only')
  assert.deepEqual(r.drains.map((d) => `${d.host}:${d.status}`), before.map((i) => `${i.name}:ok`), 'each old host was drained before it went')
  // each batch's deployment (its own record) went to that batch's new host only
  const deployedTo = r.deployments.filter((d) => d.record).map((d) => (JSON.parse(readFileSync(d.record!, 'utf8')) as DeployReport).results.map((h) => h.host))
  assert.equal(deployedTo.length, 3)
  assert.ok(deployedTo.every((hosts) => hosts.length === 1 && !before.some((b) => b.name === hosts[0])), JSON.stringify(deployedTo))

  const after_ = instances()
  assert.equal(after_.length, 3)
  assert.deepEqual(after_.filter((i) => before.some((b) => b.id === i.id || b.name === i.name)), [], 'three new hosts')
  assert.ok(after_.every((i) => i.data.shape?.size === '2C2G'), 'recorded with the new size')
  for (const b of before) assert.equal(existsSync(b.data.dir), false, `${b.name}'s sandbox is gone`)
  assert.deepEqual((await serving()).of.sort(), after_.map((i) => i.name).sort())
  const again = await run(['env', 'plan', '--detailed-exitcode'])
  assert.equal(again.code, 0, again.stdout)
})

test('scale and reconcile say their own name; scaling down asks first, as a smaller count in the plan does', {skip: unavailable ?? false, timeout: 300_000}, async () => {
  const dry = await run(['scale', 'web=2', '--dry-run'])
  assert.equal(dry.code, 0, dry.stderr)
  assert.match(dry.stdout, new RegExp(`^scale web=2 ${PROJECT}/local \\(dry run: nothing was changed\\)`))
  assert.match(dry.stdout, /apply with: dops scale web=2/)
  assert.doesNotMatch(dry.stdout, /env up/)
  const rec = await run(['env', 'reconcile'])
  assert.equal(rec.code, 0, rec.stderr)
  // the summary of a command that changes hosts is on stderr, after its progress
  assert.match(rec.stderr, new RegExp(`^env reconcile ${PROJECT}/local`, 'm'))
  assert.doesNotMatch(rec.stderr, /env up/)

  const ids = instances().map((i) => i.id)
  const refused = await run(['scale', 'web=2'])
  assert.equal(refused.code, 2)
  assert.match(refused.stderr, /destroy 1 host\(s\) of web .*run again with --yes/s)
  writeFileSync(path.join(project, 'dops.yml'), plan('2C2G', 2))
  const refusedUp = await run(['env', 'up'])
  assert.equal(refusedUp.code, 2)
  assert.match(refusedUp.stderr, /destroy 1 host\(s\) of web .*run again with --yes/s)
  assert.deepEqual(instances().map((i) => i.id), ids, 'nothing changed without --yes')
  const down = await run(['scale', 'web=2', '--yes'])
  assert.equal(down.code, 0, down.stdout + down.stderr)
  assert.match(down.stderr, new RegExp(`^scale web=2 ${PROJECT}/local`, 'm'))
  assert.doesNotMatch(down.stderr, /env up/)
  assert.equal(instances().length, 2)
})

test('Ctrl-C during a replacement: the step finishes, the old hosts keep serving; the next env up completes it', {skip: unavailable ?? false, timeout: 600_000}, async (t) => {
  const before = instances()
  assert.equal(before.length, 2)
  writeFileSync(path.join(project, 'dops.yml'), plan('4C4G', 2))
  const watch = sampler()
  const child = spawn(process.execPath, [BIN, 'env', 'up', '--yes'], {cwd: project, env: {...process.env, CI: 'true', NO_COLOR: '1'}})
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => (stderr += d))
  let ended = false
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => ((ended = true), r(code))))
  t.after(() => void (ended || child.kill('SIGKILL')))
  // interrupted while the first batch deploys to its new host: that host is not announced yet
  for (let i = 0; i < 3000 && !ended && !/^start deploying web to \S+ \(replacement batch 1\/2\)/m.test(stderr); i++) await new Promise((r) => setTimeout(r, 100))
  assert.match(stderr, /^start deploying web to \S+ \(replacement batch 1\/2\)/m)
  child.kill('SIGINT')
  assert.equal(await exited, 6, stderr)
  assert.match(stderr, /interrupted: the step in progress finished/)
  assert.equal(instances().length, 3, 'the new host is recorded, the old ones are still there')
  const up = await run(['env', 'up', '--yes', '--json'])
  const samples = await watch.stop()
  assert.equal(up.code, 0, up.stdout.slice(-3000) + up.stderr)
  const least = Math.min(...samples.map((s) => s.n))
  t.diagnostic(`${samples.length} samples over the interrupted and the next env up; hosts serving: min ${least}`)
  t.diagnostic(`the next env up: ${json<EnvReport>(up).steps.map((s) => `${s.kind}${'hosts' in s && s.hosts.length ? ` ${s.hosts.join(',')}` : ''}`).join('; ')}`)
  assert.ok(least >= 2, `fewer than 2 hosts served at some point: ${JSON.stringify(samples.find((s) => s.n < 2))}`)
  const now = instances()
  assert.equal(now.length, 2)
  assert.deepEqual(now.filter((i) => before.some((b) => b.id === i.id)), [], 'both replaced')
  assert.ok(now.every((i) => i.data.shape?.size === '4C4G'))
  assert.equal((await run(['env', 'plan', '--detailed-exitcode'])).code, 0)
})

test('a batch whose deploy fails stops the replacement before its old host leaves; the next env up starts over cleanly', {skip: unavailable ?? false, timeout: 600_000}, async (t) => {
  const before = instances()
  assert.equal(before.length, 2)
  // the new hosts' bootstrap writes what their health check reads: with BOOT=broken-boot the deploy to a new host fails
  writeFileSync(path.join(project, 'dops.yml'), plan('8C8G', 2, true))
  const watch = sampler()
  const failed = await dops(['env', 'up', '--yes', '--json'], {cwd: project, timeoutMs: 300_000, env: {BOOT: 'broken-boot'}})
  assert.notEqual(failed.code, 0)
  const r = json<EnvReport>(failed)
  assert.match(r.stopped ?? '', /replacing web: stopped before batch 1\/2 went on because a step failed/)
  assert.deepEqual(r.drains, [], 'no old host was drained')
  const mid = instances()
  assert.deepEqual(mid.slice(0, 2).map((i) => i.id), before.map((i) => i.id), 'the old hosts are kept')
  assert.equal(mid.length, 3)
  assert.equal((mid[2] as Inst & {ready?: boolean}).ready, false, 'the new host that did not get the app is not ready')
  const up = await dops(['env', 'up', '--yes', '--json'], {cwd: project, timeoutMs: 300_000, env: {BOOT: 'healthy-boot'}})
  const samples = await watch.stop()
  assert.equal(up.code, 0, up.stdout.slice(-3000) + up.stderr)
  const least = Math.min(...samples.map((s) => s.n))
  t.diagnostic(`${samples.length} samples; hosts serving: min ${least}; the next env up: ${json<EnvReport>(up).steps.map((s) => `${s.kind}${'hosts' in s && s.hosts.length ? ` ${s.hosts.join(',')}` : ''}`).join('; ')}`)
  assert.ok(least >= 2, `fewer than 2 hosts served at some point: ${JSON.stringify(samples.find((s) => s.n < 2))}`)
  const now = instances()
  assert.equal(now.length, 2)
  // (a sandbox's id is its name, and a name freed by a destroyed host is given again: a host is its id and creation time)
  const key = (i: Inst & {createdAt?: string}) => `${i.id}@${i.createdAt}`
  assert.deepEqual(now.filter((i) => mid.some((b) => key(b) === key(i))), [], 'the failed new host went first, then both old ones were replaced')
  assert.ok(now.every((i) => i.data.shape?.size === '8C8G'))
  assert.equal((await dops(['env', 'plan', '--detailed-exitcode'], {cwd: project, env: {BOOT: 'healthy-boot'}})).code, 0)
})
