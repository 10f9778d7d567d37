/**
 * The executor: applies planned steps in order. It alone owns what every step needs: the stop signal (Ctrl-C: the
 * step in progress finishes, nothing new starts, exit 6), the state written after each step, phase timings and the
 * report (kept as the run's journal by the caller).
 */
import {ExitCode} from '../errors.js'
import type {EnvState, InstanceState} from '../state/local-file.js'
import {plannedCount} from './diff.js'
import {step, type EnvContext} from './context.js'
import type {Observations} from './observe.js'
import {toStatic} from './static-hosts.js'
import {deployStep} from './steps/deploy.js'
import {drain} from './steps/drain.js'
import {fireEvents} from './steps/events.js'
import {prepareHosts} from './steps/prepare.js'
import {reconcileResources, resourceScope} from './steps/resources.js'
import {createHosts, destroyHosts, startHosts, updateSettings} from './steps/provision.js'
import {noPhases, type EnvReport, type EnvStep, type GroupChange, type Phases} from './types.js'

export function newReport(e: EnvContext, action: EnvReport['action'], runId: string, changes: GroupChange[] = [], steps: EnvStep[] = []): EnvReport {
  return {project: e.loaded.plan.project, env: e.envName, action, changes, steps, changed: false, bootstrap: [], deployments: [], events: [], waits: [], drains: [], phases: noPhases(), exitCode: 0, runId}
}

const PHASE: Record<EnvStep['kind'], keyof Phases | undefined> = {resources: 'provision', start: 'provision', announce: 'events', drain: undefined, destroy: 'provision', forget: 'provision', create: 'provision', adopt: 'provision', update: 'provision', prepare: undefined, deploy: 'deploy', join: undefined, leave: undefined}

export async function applySteps(e: EnvContext, state: EnvState, observed: Observations, report: EnvReport): Promise<EnvReport> {
  const p = e.p
  const t0 = performance.now()
  // each provider group's hosts as the steps change them; recorded in the state after each step of the group
  const hosts = new Map(Object.entries(observed.groups).map(([g, o]) => [g, [...o.live]]))
  // per group: the hosts the last `create` made (one replacement batch's, when batches follow each other), the
  // hosts the next hostsJoined announces, and the prepared hosts not announced yet (prepared again if interrupted)
  const made = new Map<string, InstanceState[]>()
  const joined = new Map<string, InstanceState[]>()
  const unannounced = new Map<string, InstanceState[]>()
  const addTo = (m: Map<string, InstanceState[]>, g: string, list: InstanceState[]) => m.set(g, [...(m.get(g) ?? []), ...list])
  let provisioned = false
  const record = (g: string) => {
    if (observed.groups[g]!.type === 'static') {
      state.static = {...state.static, [g]: {hosts: hosts.get(g)!.map(toStatic)}}
      return
    }
    const planCount = plannedCount(e.groups[g]!)
    const scaled = p.scale?.[g] !== undefined ? {desired: p.scale[g]!, planCount} : state.groups[g]?.scaled
    state.groups[g] = {provider: observed.groups[g]!.type, instances: hosts.get(g)!, ...(scaled ? {scaled} : {})}
  }
  // groups a step has touched; the others are recorded once provisioning is over (not if interrupted before:
  // a gone host of an untouched group is then still announced by the next run)
  const touched = new Set<string>()
  const write = async (g?: string) => {
    if (g) touched.add(g)
    for (const x of g ? [g] : provisioned ? hosts.keys() : touched) record(x)
    await e.store.write(state)
  }
  const byName = (g: string, names: string[]) => [...(hosts.get(g) ?? []), ...(observed.groups[g]?.gone ?? [])].filter((i) => names.includes(i.name))
  const finish = () => {
    report.phases.total = performance.now() - t0
    return report
  }
  // hosts that began to leave (announced with hostsLeft, or drained): their drain and destroy follow even after a
  // Ctrl-C, so no drained host stays behind looking ready
  let leavingNow = ''
  const leaveKey = (s: EnvStep) => (s.kind === 'drain' || s.kind === 'destroy' || (s.kind === 'announce' && s.event === 'hostsLeft' && !s.gone) ? s.group : '')
  for (const s of report.steps) {
    const key = leaveKey(s)
    if (p.stopSignal?.aborted && !(key && key === leavingNow && s.kind !== 'announce')) {
      // hosts that joined but were not announced are prepared (and announced) again by the next run
      for (const [g, list] of unannounced) {
        const spec = e.groups[g]!
        if (spec.apps?.length || spec.on?.hostsJoined?.length) for (const i of list) i.ready = false
      }
      await write()
      report.exitCode = ExitCode.INTERRUPTED
      report.stopped = 'interrupted: the step in progress finished, nothing else was started; run env up again to go on'
      report.changed = true
      return finish()
    }
    // once the hosts are provisioned, every group's record is written (a lost state recovered, a scale remembered)
    if (!provisioned && (s.kind === 'deploy' || s.kind === 'resources' || (s.kind === 'announce' && s.event === 'hostsJoined'))) {
      provisioned = true
      await write()
    }
    // a replacement goes on only while everything before it succeeded: the old hosts leave only when their
    // replacements run the apps and were announced (once they began to leave, a failed drain does not keep them)
    if ('batch' in s && s.batch && report.exitCode !== 0 && !(key && key === leavingNow)) {
      // mid-batch: its new hosts do not run the apps (or were not announced), so they are not ready: the next run
      // removes them first, and the hosts they were to replace keep serving
      if (s.kind !== 'create') for (const i of made.get(s.batch.group) ?? []) i.ready = false
      await write()
      report.stopped = `replacing ${s.batch.group}: stopped before batch ${s.batch.n}/${s.batch.of} went on because a step failed; the hosts it replaces (${s.batch.replacing.map((r) => r.name).join(', ')}) are kept; run env up again once fixed`
      return finish()
    }
    leavingNow = key
    // a batch's new hosts are complete (prepared, given the apps, announced) once its old hosts begin to leave
    if (key && 'batch' in s && s.batch) unannounced.delete(s.batch.group)
    const t1 = performance.now()
    const phase = PHASE[s.kind]
    if (s.kind !== 'deploy') report.changed = true
    switch (s.kind) {
      case 'announce': {
        const list = s.event === 'hostsLeft' ? byName(s.group, s.hosts) : (joined.get(s.group) ?? [])
        if (list.length) await fireEvents(e, report, [[s.group, s.event, list]], s.event === 'hostsLeft' ? new Set(s.hosts) : new Set())
        if (s.event === 'hostsJoined') {
          joined.delete(s.group)
          unannounced.delete(s.group)
        }
        break
      }
      case 'start': {
        // the provider starts them and says where they are now (an address may change); they are members again
        const started = await startHosts(e, s.group, byName(s.group, s.hosts), observed.groups[s.group]!.provider)
        hosts.set(s.group, hosts.get(s.group)!.map((i) => started.find((x) => x.id === i.id) ?? i))
        addTo(joined, s.group, started)
        await write(s.group)
        break
      }
      case 'drain':
        await drain(e, report, byName(s.group, s.hosts))
        break
      case 'destroy':
        await destroyHosts(e, s.group, byName(s.group, s.hosts), observed.groups[s.group]!.provider, s.batch ? `; replaced, batch ${s.batch.n}/${s.batch.of}` : '')
        hosts.set(s.group, hosts.get(s.group)!.filter((i) => !s.hosts.includes(i.name)))
        await write(s.group)
        break
      case 'forget':
        hosts.set(s.group, hosts.get(s.group)!.filter((i) => !s.hosts.includes(i.name)))
        await write(s.group)
        break
      case 'create': {
        const keep = async (partial: InstanceState[]) => {
          hosts.get(s.group)!.push(...partial)
          await write(s.group)
        }
        const list = await createHosts(e, s.group, s.count, hosts.get(s.group)!, observed.groups[s.group]!.provider, keep, s.batch ? ` for replacement batch ${s.batch.n}/${s.batch.of}` : '')
        hosts.get(s.group)!.push(...list)
        made.set(s.group, list)
        await write(s.group)
        break
      }
      case 'adopt':
        await write(s.group)
        break
      case 'update': {
        const applied = await updateSettings(e, s.group)
        const change = report.changes.find((c) => c.group === s.group)
        if (change) change.updates = applied
        break
      }
      case 'prepare': {
        const pending = [...byName(s.group, s.hosts), ...(made.get(s.group) ?? [])]
        await write(s.group)
        if (await prepareHosts(e, report, s.group, pending)) {
          report.exitCode = ExitCode.SOME_FAILED
          return finish()
        }
        // env restore's hooks (data restore): a failure keeps the hosts not ready, so the next run does it again
        if (p.afterPrepare && !(await p.afterPrepare(s.group, pending.map((i) => i.name)))) {
          report.exitCode = ExitCode.SOME_FAILED
          return finish()
        }
        for (const i of pending) i.ready = true
        await write(s.group)
        // ready now: the other groups hear of them (a host prepared again on a later run joins then)
        addTo(joined, s.group, pending)
        addTo(unannounced, s.group, pending)
        break
      }
      case 'deploy':
        // a replacement batch's deploy: only to the hosts that batch created
        await deployStep(e, report, s, s.batch ? (made.get(s.batch.group) ?? []).map((i) => i.name) : undefined)
        break
      case 'resources': {
        // what each kind changed replaces what was planned; the write lets each follow membership (targets registered)
        const end = step(p, 'provision', `environment resources: ${s.changes.map((c) => c.key).join(', ')}`)
        s.changes = await reconcileResources(resourceScope(e.loaded, e.envName, e.t.projectDir, p.connection, p.reporter, p.stopSignal), state, () => e.store.write(state))
        await write()
        end(`${s.changes.reduce((n, c) => n + c.lines.length, 0)} change(s)`)
        break
      }
      case 'leave':
        // a static host leaves: its record goes; nothing is run on it, removed from it or destroyed
        hosts.set(s.group, hosts.get(s.group)!.filter((i) => !s.hosts.includes(i.name)))
        await write(s.group)
        step(p, 'provision', `${s.group}: ${s.hosts.join(', ')} left (static: nothing was run on or removed from it)`)('recorded')
        break
      case 'join': {
        const list = byName(s.group, [...s.hosts, ...s.again])
        await write(s.group)
        if (await prepareHosts(e, report, s.group, list)) {
          report.exitCode = ExitCode.SOME_FAILED
          return finish()
        }
        const fingerprint = observed.groups[s.group]!.fingerprint
        for (const i of list) {
          i.ready = true
          if (fingerprint) i.data = {...i.data, bootstrap: fingerprint}
        }
        await write(s.group)
        addTo(joined, s.group, list.filter((i) => s.hosts.includes(i.name)))
        addTo(unannounced, s.group, list.filter((i) => s.hosts.includes(i.name)))
        if (s.hosts.length) step(p, 'provision', `${s.group}: ${s.hosts.length} static host(s) joined`)('recorded')
        break
      }
    }
    if (phase) report.phases[phase] += performance.now() - t1
  }
  if (!provisioned) {
    provisioned = true
    await write()
  }
  return finish()
}
