/**
 * `dops env restore TARGET --from SOURCE [--drill]`: disaster recovery in one command. Checks everything first
 * (restore-inputs.ts: nothing is created when a value is missing), then runs `env up` on the target environment
 * derived in memory from the source (its groups with the target's overrides and provider, the source's host counts
 * as `scale`, the source's recorded revisions as the desired ones, `restore.hooks` after their group's bootstrap),
 * then verifies every health gate (restore-verify.ts). The recovery time is from the command's start until that
 * gate is green. A drill builds `drill-<TARGET>` instead and tears it down afterwards, whatever happened.
 */
import {ExitCode} from '../errors.js'
import type {Reporter} from '../events.js'
import {openState} from '../state/backend.js'
import type {TargetSource} from '../targets.js'
import type {TransportSettings} from '../transport/factory.js'
import {envUp, type EnvReport} from './env-job.js'
import {tearDownDrill, type DrillTeardown} from './restore-drill.js'
import {hookRunner, type HookResult} from './restore-hooks.js'
import {restoreNotes} from './restore-derive.js'
import {restoreInputs} from './restore-inputs.js'
import {desiredFrom, type SourceRevision} from './restore-revisions.js'
import {verifyRestore, type Verified} from './restore-verify.js'

export interface RestoreParams {
  source: TargetSource
  target: string
  /** the environment restored from; default: the target's `restoreFrom` (--from wins over it) */
  from?: string
  drill?: boolean
  connection: Omit<TransportSettings, 'projectDir' | 'planSsh' | 'onHostKeyLearned'>
  yes?: boolean
  confirm?: (what: string) => Promise<boolean>
  reporter?: Reporter
  stopSignal?: AbortSignal
}

/** Whole milliseconds per phase; `recovery`: the command's start until every health gate was green (absent when never). */
export interface RestorePhases {
  check: number
  plan: number
  provision: number
  bootstrap: number
  hooks: number
  deploy: number
  events: number
  verify: number
  teardown: number
  recovery?: number
  total: number
}

export interface RestoreReport {
  project: string
  source: string
  target: string
  /** the environment built: the target, or `drill-<target>` */
  env: string
  drill: boolean
  counts: Record<string, number>
  countsFrom: Record<string, 'state' | 'plan'>
  revisions: SourceRevision[]
  hooks: HookResult[]
  /** what the restore does not take from the source, and why (DNS records are the source's) */
  notes: string[]
  up?: EnvReport
  verify?: Verified
  teardown?: DrillTeardown
  phases: RestorePhases
  /** why it failed, when it did */
  error?: string
  exitCode: number
}

export async function envRestore(p: RestoreParams): Promise<RestoreReport> {
  const t0 = performance.now()
  const since = (t: number) => Math.round(performance.now() - t)
  const end = (text: string) => {
    const t = performance.now()
    p.reporter?.({type: 'env.step', phase: 'provision', text, state: 'start'})
    return (result: string, ok = true) => p.reporter?.({type: 'env.step', phase: 'provision', text: `${text}: ${result}`, state: 'end', ok, ms: performance.now() - t})
  }
  const checked = end(`restore ${p.target}: checking the plan, the source's state and its deployment records`)
  const inputs = await restoreInputs({source: p.source, target: p.target, from: p.from, drill: p.drill}).catch((e: unknown) => {
    checked('failed', false)
    throw e
  })
  checked(`${Object.entries(inputs.counts).map(([g, n]) => `${g}=${n}`).join(' ') || 'no provider-made group'}; ${inputs.revisions.map((r) => `${r.app}@${r.id}`).join(' ') || 'no app'}`)
  const {names} = inputs
  const phases: RestorePhases = {check: since(t0), plan: 0, provision: 0, bootstrap: 0, hooks: 0, deploy: 0, events: 0, verify: 0, teardown: 0, total: 0}
  const report: RestoreReport = {project: inputs.loaded.plan.project, source: names.source, target: names.target, env: names.name, drill: !!p.drill, counts: inputs.counts, countsFrom: inputs.countsFrom, revisions: inputs.revisions, hooks: [], notes: restoreNotes(inputs.loaded.plan, names), phases, exitCode: ExitCode.OK}
  for (const message of report.notes) p.reporter?.({type: 'warning', message})
  const hooks = hookRunner({hooks: inputs.hooks, source: inputs.source, connection: p.connection, restoredFrom: names.source, reporter: p.reporter})
  try {
    const up = await envUp({source: inputs.source, connection: p.connection, scale: inputs.counts, revisions: desiredFrom(inputs.revisions), afterPrepare: (g) => hooks.after(g), yes: p.yes || p.drill, confirm: p.confirm, reporter: p.reporter, stopSignal: p.stopSignal}).finally(() =>
      // a state that cannot be written now was reported by env up itself: the restore's result stands
      recordOrigin(inputs, report).catch((e: unknown) => p.reporter?.({type: 'warning', message: `could not record in ${names.name}'s state that it was restored from ${names.source}: ${(e as Error).message}`})),
    )
    report.up = up
    report.hooks = hooks.results
    // env up's total counts the process's start when it is the process's first env command: not a phase of the restore
    const ph = up.phases as EnvReport['phases'] & {start?: number; load?: number; observe?: number; plan?: number}
    phases.plan = Math.round((ph.load ?? 0) + (ph.observe ?? 0) + (ph.plan ?? 0))
    phases.hooks = Math.round(hooks.ms())
    phases.bootstrap = Math.round(ph.bootstrap)
    phases.deploy = Math.round(ph.deploy)
    phases.events = Math.round(ph.events)
    phases.provision = Math.max(0, Math.round(ph.total - (ph.start ?? 0) - phases.plan - phases.hooks - phases.bootstrap - phases.deploy - phases.events))
    if (up.exitCode !== 0) {
      report.exitCode = up.exitCode
      report.error = up.stopped ?? `env up of ${names.name} failed (see ${up.journal ?? 'its journal'})${hooks.results.some((h) => h.failed || !h.ok) ? ': a restore hook failed' : ''}`
      return report
    }
    const t1 = performance.now()
    const verified = end(`${names.name}: verifying every host, revision and health gate`)
    report.verify = await verifyRestore({source: inputs.source, connection: p.connection, revisions: inputs.revisions, counts: inputs.counts})
    phases.verify = since(t1)
    verified(report.verify.problems.length ? `${report.verify.problems.length} problem(s)` : `${report.verify.hosts} host(s) green`, !report.verify.problems.length)
    if (report.verify.problems.length) {
      report.exitCode = ExitCode.SOME_FAILED
      report.error = `not every health gate is green: ${report.verify.problems.join('; ')}`
    } else phases.recovery = since(t0)
    return report
  } catch (e) {
    report.hooks = hooks.results
    report.error = (e as Error).message
    report.exitCode = (e as {exitCode?: number}).exitCode ?? ExitCode.INTERNAL
    if (!p.drill) throw e
    return report
  } finally {
    if (p.drill) {
      const t2 = performance.now()
      const done = end(`${names.name}: tearing the drill down`)
      report.teardown = await tearDownDrill({source: inputs.source, loaded: inputs.loaded, env: names.name, connection: p.connection, reporter: p.reporter})
      phases.teardown = since(t2)
      done(report.teardown.left.length ? `left: ${report.teardown.left.join(', ')}` : 'nothing left', !report.teardown.left.length)
      if (report.teardown.left.length && report.exitCode === 0) {
        report.exitCode = ExitCode.SOME_FAILED
        report.error = `the drill left ${report.teardown.left.join(', ')}${report.teardown.error ? ` (${report.teardown.error})` : ''}`
      }
    }
    phases.total = since(t0)
  }
}

/** The target's state says what it was restored from (later commands see its groups so), once it records anything. */
async function recordOrigin(inputs: Awaited<ReturnType<typeof restoreInputs>>, report: RestoreReport): Promise<void> {
  const store = await openState(inputs.loaded, inputs.loaded.dir, inputs.names.name)
  await store.withLock(async () => {
    const st = await store.read()
    if (!Object.keys(st.groups).length && !st.static) return
    await store.write({...st, restoredFrom: {env: report.source, at: new Date().toISOString(), revisions: Object.fromEntries(report.revisions.map((r) => [r.app, r.id]))}})
  })
}
