/**
 * Webhook to deploy started (issue 12, "Numbers": under 1 s after the delivery arrives, excluding the app's build).
 * The local example (two web hosts behind nginx, real sshd sandboxes) is brought up once; then, N times, a commit is
 * pushed to a real bare repository and its signed GitHub delivery is sent to buildServer's app through inject():
 * - ack: the delivery's answer (202) after it arrived;
 * - started: the deploy.git job's `startedAt` minus the arrival;
 * - deploy: the job's first `deploy.plan` event minus the arrival, minus the app's build (its `job.log` lines): the
 *   fetch of the commit, its checkout, the bundle and the rollout plan, up to the first host being touched;
 * - total: the job's end (the whole rolling deploy, two hosts one at a time), for scale.
 * Run as root with nginx: node --import tsx bench/webhook-bench.ts [--n 7]. Results: bench/results/webhook.md
 */
import {writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {buildServer} from '../src/serve/app.js'
import {openJobs} from '../src/serve/jobs/index.js'
import type {ServeContext} from '../src/serve/types.js'
import {cleanUpLocalEnv} from '../test/env/local-cleanup.js'
import {dops} from '../test/helpers.js'
import {githubPush, makeFixture, setHookSecrets} from '../test/serve/hooks-fixture.js'

const arg = (name: string, def: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1]! : def)
const n = Number(arg('--n', '7'))
const fx = makeFixture(`hookbench${process.pid}`)
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const at = (iso: string) => Date.parse(iso)

try {
  const up = await dops(['env', 'up', '--json'], {cwd: fx.project, timeoutMs: 300_000})
  if (up.code !== 0) throw new Error(`env up exited ${up.code}: ${up.stderr.slice(-2000)}`)
  setHookSecrets()
  const {store, runner} = await openJobs(fx.project, fx.planFile)
  const ctx: ServeContext = {projectDir: fx.project, planFile: fx.planFile, version: 'bench', runner, store, leader: {isLeader: () => true, holder: () => undefined}, publicRead: false, log: () => undefined}
  const app = await buildServer(ctx)
  const rows: Array<{ack: number; started: number; deploy: number; build: number; total: number}> = []
  for (let i = 0; i < n; i++) {
    const before = fx.head()
    const after = fx.commit(`bench v${i + 2}`)
    const d = githubPush({before, after})
    const arrival = Date.now()
    const t0 = performance.now()
    const r = await app.inject({method: 'POST', url: '/hooks/github', headers: d.headers, payload: d.payload})
    const ack = performance.now() - t0
    if (r.statusCode !== 202) throw new Error(`delivery ${i}: ${r.statusCode} ${r.body}`)
    const job = await runner.wait((r.json() as {job: {id: string}}).job.id)
    if (job.state !== 'succeeded') throw new Error(`job ${job.id} ${job.state}: ${JSON.stringify(job.error)}`)
    const events = await store.events(job.id)
    const plan = events.find((e) => e.type === 'deploy.plan')!
    const line = (re: RegExp) => events.find((e) => e.type === 'job.log' && re.test((e.data as {line: string}).line))
    const b0 = line(/^build: /)
    const b1 = line(/^build done/)
    const build = b0 && b1 ? at(b1.at) - at(b0.at) : 0
    rows.push({ack, started: at(job.startedAt!) - arrival, deploy: at(plan.at) - arrival - build, build, total: at(job.endedAt!) - arrival})
  }
  await app.close()
  await runner.close()
  const ms = (k: keyof (typeof rows)[0], pick: (xs: number[]) => number) => Math.round(pick(rows.map((r) => r[k])))
  const row = (label: string, k: keyof (typeof rows)[0]) => `| ${label} | ${ms(k, median)} | ${ms(k, (x) => Math.min(...x))} | ${ms(k, (x) => Math.max(...x))} |`
  const text = [
    '# Webhook to deploy started',
    '',
    `${new Date().toISOString()} on ${os.cpus().length} cores (load ${os.loadavg()[0]!.toFixed(1)}), Node ${process.version}; ${n} pushes of a new commit to a local bare repository, each a signed GitHub delivery through inject() to buildServer (real job store and runner); the local example (2 web hosts behind nginx). Milliseconds after the delivery arrived; the first delivery loads the plan schema and the core modules (the max).`,
    '',
    '| step | median | min | max |',
    '|---|---|---|---|',
    row('delivery answered (202)', 'ack'),
    row('deploy.git job started (startedAt)', 'started'),
    row("first deploy.plan event, the app's build excluded (fetch, checkout, bundle, plan)", 'deploy'),
    row("the app's build (excluded above)", 'build'),
    row('whole rolling deploy, 2 hosts one at a time (for scale)', 'total'),
    '',
  ].join('\n')
  console.log(text)
  writeFileSync(path.resolve(import.meta.dirname, 'results/webhook.md'), text)
} finally {
  const problems = await cleanUpLocalEnv({project: fx.projectName, projectDir: fx.project, env: 'local'})
  if (problems.length) console.error(`cleanup: ${problems.join('; ')}`)
  fx.cleanup()
}
