/** Take the apps on leaving hosts out of traffic and stop them (reported; a failure does not stop the removal). */
import {drainHosts} from '../../deploy/drain-job.js'
import {ExitCode} from '../../errors.js'
import {resolveTargets} from '../../targets.js'
import {createSshTransport} from '../../transport/factory.js'
import {step, type EnvContext} from '../context.js'
import type {EnvReport} from '../types.js'

export async function drain(e: EnvContext, report: EnvReport, leaving: Array<{name: string}>): Promise<void> {
  const p = e.p
  const t1 = performance.now()
  const all = (await resolveTargets(p.source)).hosts
  const names = new Set(leaving.map((l) => l.name))
  const hosts = all.filter((h) => names.has(h.name) && (e.groups[h.group]?.apps ?? []).length)
  if (hosts.length) {
    const transport = createSshTransport({...p.connection, projectDir: e.t.projectDir, planSsh: e.loaded.plan.ssh})
    try {
      const end = step(p, 'drain', `draining apps on ${hosts.map((h) => h.name).join(', ')}`)
      const r = await drainHosts({loaded: e.loaded, envName: e.envName, all, leaving: hosts, transport})
      end(`${r.filter((d) => d.status === 'ok').length}/${r.length} ok`, r.every((d) => d.status === 'ok'))
      report.drains.push(...r)
      if (r.some((d) => d.status !== 'ok')) report.exitCode = ExitCode.SOME_FAILED
    } finally {
      await transport.close()
    }
  }
  report.phases.drain += performance.now() - t1
}
