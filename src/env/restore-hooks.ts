/**
 * `restore.hooks`: the user's commands at named points of a restore (data restore stays theirs). A hook runs once
 * the hosts of its `after` group answered SSH and were bootstrapped, before they count as ready and before any app
 * is deployed, on the hosts of its `group` (default: `after`), with DOPS_RESTORED_FROM (the source environment) and
 * DOPS_<GROUP>_HOSTS of the restored groups in its environment. A hook that fails on a host stops the restore; the
 * hosts stay not ready, so running the restore again bootstraps them again and runs the hook again.
 */
import {readFile} from 'node:fs/promises'
import path from 'node:path'
import {hostEnv} from '../fleet/host-env.js'
import {runFleet} from '../fleet/run.js'
import type {RestoreHookSpec} from '../plan/types.js'
import {resolveTargets, type TargetSource} from '../targets.js'
import {createSshTransport, type TransportSettings} from '../transport/factory.js'
import {makeRedactor} from '../util/redact.js'
import type {Reporter} from '../events.js'
import {scriptSpec} from './context.js'
import type {HostRun} from './types.js'

export interface HookResult {
  name: string
  after: string
  group: string
  ok: number
  failed: number
  ms: number
  hosts: HostRun[]
}

export interface HookRunner {
  results: HookResult[]
  /** time spent in hooks so far */
  ms(): number
  /** for `afterPrepare`: runs the hooks of `group`, true when every one succeeded on every host */
  after(group: string): Promise<boolean>
}

const envKey = (g: string) => `DOPS_${g.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_HOSTS`

export function hookRunner(o: {hooks: RestoreHookSpec[]; source: TargetSource; connection: Omit<TransportSettings, 'projectDir' | 'planSsh' | 'onHostKeyLearned'>; restoredFrom: string; reporter?: Reporter}): HookRunner {
  const results: HookResult[] = []
  let spent = 0
  return {
    results,
    ms: () => spent,
    async after(group) {
      const mine = o.hooks.filter((h) => h.after === group)
      if (!mine.length) return true
      const t = await resolveTargets(o.source)
      const transport = createSshTransport({...o.connection, projectDir: t.projectDir, planSsh: t.loaded!.plan.ssh})
      const redact = makeRedactor(t.secrets)
      try {
        const groups = [...new Set(t.hosts.map((h) => h.group))]
        const env = {DOPS_RESTORED_FROM: o.restoredFrom, ...Object.fromEntries(groups.map((g) => [envKey(g), t.hosts.filter((h) => h.group === g).map((h) => transport.target(h).address).join(' ')]))}
        for (const h of mine) {
          const t0 = performance.now()
          const on = h.group ?? h.after
          const name = redact(h.name ?? h.script ?? h.run ?? '')
          const hosts = t.hosts.filter((x) => x.group === on)
          const content = h.script ? await readFile(path.resolve(t.loaded!.dir, h.script), 'utf8') : undefined
          o.reporter?.({type: 'env.step', phase: 'bootstrap', text: `restore hook ${name} on ${on}`, state: 'start'})
          const r = await runFleet({hosts, transport, spec: {...scriptSpec(h, content), env}, hostEnv: (x) => hostEnv(x, {project: t.loaded!.plan.project, address: transport.target(x).address}), reporter: o.reporter, secrets: t.secrets})
          const ms = performance.now() - t0
          spent += ms
          const failed = r.results.filter((x) => x.status !== 'ok')
          o.reporter?.({type: 'env.step', phase: 'bootstrap', text: `restore hook ${name} on ${on}: ${r.summary.ok}/${r.summary.total} ok`, state: 'end', ok: !failed.length, ms})
          const tail = (x: string) => redact(x.length > 8192 ? `…${x.slice(-8192)}` : x)
          results.push({name, after: h.after, group: on, ok: r.summary.ok, failed: failed.length, ms: Math.round(ms), hosts: r.results.map((x) => ({host: x.host, status: x.status, exitCode: x.exitCode, durationMs: Math.round(x.durationMs), stdout: tail(x.stdout), stderr: tail(x.stderr), ...(x.error ? {error: redact(x.error)} : {})}))})
          if (failed.length || !hosts.length) return false
        }
        return true
      } finally {
        await transport.close()
      }
    },
  }
}
