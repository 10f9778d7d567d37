/** `dops env down`: tell the groups that stay, drain the apps, destroy every host a provider made, dependants first. */
import {ExitCode} from '../errors.js'
import {getProvider} from '../providers/registry.js'
import type {InstanceState} from '../state/local-file.js'
import {newReport} from './apply.js'
import {confirmDestroy, loadEnv, providerOf, readState, step} from './context.js'
import {journaled} from './journal.js'
import {drain} from './steps/drain.js'
import {fireEvents} from './steps/events.js'
import type {EnvParams, EnvReport} from './types.js'
import {newRunId} from '../fleet/journal.js'

export async function envDown(p: EnvParams): Promise<EnvReport> {
  const e = await loadEnv(p)
  const t0 = performance.now()
  return journaled(e, await e.store.withLock(async () => {
    const state = await readState(e)
    // what exists: the state's records, or (lost state) what the provider finds by its tags
    const doomed = new Map<string, InstanceState[]>()
    for (const g of e.order) {
      const type = providerOf(e.loaded, e.groups[g]!).type
      if (type === 'static') continue
      const list = state.groups[g]?.instances ?? (await getProvider(type)?.discover?.(e.ctx(g))) ?? []
      if (list.length) doomed.set(g, list)
    }
    const count = [...doomed.values()].reduce((n, l) => n + l.length, 0)
    if (count) await confirmDestroy(p, `this destroys ${count} host(s) of ${e.envName} (${[...doomed].map(([g, l]) => `${g}: ${l.map((i) => i.name).join(', ')}`).join('; ')})`)
    const report = newReport(e, 'down', newRunId())
    const everything = [...doomed.values()].flat()
    // 1. the groups that stay (static hosts) hear that these hosts leave: a static load balancer drops them first.
    // A handler that fails (its host unreachable) is a recorded failure (exit 3); the teardown goes on.
    const t1 = performance.now()
    await fireEvents(e, report, [...doomed].map(([g, l]) => [g, 'hostsLeft', l] as const), new Set(everything.map((i) => i.name)))
    report.phases.events = performance.now() - t1
    // 2. the apps are taken out of traffic and stopped
    await drain(e, report, everything)
    // 3. the hosts go, the dependants first
    const t2 = performance.now()
    for (const g of [...e.order].reverse()) {
      const list = doomed.get(g)
      if (!list) continue
      if (p.stopSignal?.aborted) {
        report.exitCode = ExitCode.INTERRUPTED
        report.stopped = 'interrupted: the groups listed were destroyed, the others are left; run env down again to go on'
        break
      }
      const type = providerOf(e.loaded, e.groups[g]!).type
      const end = step(p, 'provision', `${g}: destroying ${list.length} host(s) (${type})`)
      await getProvider(type)?.destroy(e.ctx(g), list)
      end('destroyed')
      report.changes.push({group: g, provider: type, keep: 0, create: 0, destroy: list.map((i) => i.name), pending: 0, updates: [], ignored: [], apps: []})
      report.steps.push({kind: 'destroy', group: g, hosts: list.map((i) => i.name)})
      delete state.groups[g]
      await e.store.write(state)
    }
    // what is left of the environment (security groups, the local address range) goes with its last host
    for (const g of report.stopped ? [] : Object.keys(e.groups)) {
      const type = providerOf(e.loaded, e.groups[g]!).type
      if (type !== 'static' && type !== 'local') await getProvider(type)?.cleanup?.(e.ctx(g))
    }
    if (!report.stopped && Object.values(e.groups).some((g) => providerOf(e.loaded, g).type === 'local')) {
      const {releaseLocalEnv} = await import('../providers/local/provider.js')
      await releaseLocalEnv(e.loaded.plan.project, e.envName, e.t.projectDir)
    }
    // static hosts stay as they are, and stay joined (their record is kept: the next env up does not bootstrap them again)
    const untouched = e.order.filter((g) => providerOf(e.loaded, e.groups[g]!).type === 'static').map((g) => ({group: g, hosts: e.t.hosts.filter((h) => h.group === g).map((h) => h.name)}))
    if (untouched.some((u) => u.hosts.length)) report.untouched = untouched.filter((u) => u.hosts.length)
    report.phases.provision = performance.now() - t2
    report.phases.total = performance.now() - t0
    report.changed = report.changes.length > 0
    return report
  }))
}
