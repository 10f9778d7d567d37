/** Make new hosts usable: wait until they answer SSH, then run the group's bootstrap scripts. */
import {readFile} from 'node:fs/promises'
import path from 'node:path'
import {hostEnv} from '../../fleet/host-env.js'
import {runFleet} from '../../fleet/run.js'
import type {InstanceState} from '../../state/local-file.js'
import {resolveTargets} from '../../targets.js'
import {createSshTransport} from '../../transport/factory.js'
import {parseDuration} from '../../util/duration.js'
import {makeRedactor} from '../../util/redact.js'
import {hostRuns, needsSsh, providerOf, scriptSpec, step, type EnvContext} from '../context.js'
import type {EnvReport} from '../types.js'
import {waitForSsh} from '../wait-ssh.js'

/** how long new hosts may take to answer SSH: a local sandbox answers in a second, a cloud instance may take minutes; a static host exists already */
const DEFAULT_SSH_WAIT: Record<string, string> = {local: '1m', static: '1m'}

/**
 * Wait until the hosts answer SSH, then run the group's bootstrap scripts with the addresses of the groups it
 * depends on (DOPS_<GROUP>_HOSTS). Returns true when a host failed (reported in `report`).
 */
export async function prepareHosts(e: EnvContext, report: EnvReport, group: string, pending: InstanceState[]): Promise<boolean> {
  const p = e.p
  const spec = e.groups[group]!
  if (!needsSsh(e, group)) return false
  const all = (await resolveTargets(p.source)).hosts
  const hosts = all.filter((h) => h.group === group && pending.some((m) => m.name === h.name))
  const transport = createSshTransport({...p.connection, projectDir: e.t.projectDir, planSsh: e.loaded.plan.ssh})
  try {
    const t1 = performance.now()
    const provider = providerOf(e.loaded, spec)
    const timeout = parseDuration(String(provider.settings.sshTimeout ?? DEFAULT_SSH_WAIT[provider.type] ?? '5m')) ?? 300_000
    const waitEnd = step(p, 'wait', `${group}: waiting for SSH on ${hosts.length} host(s)`)
    const waited = await waitForSsh(transport, hosts, timeout)
    waitEnd(waited.every((w) => w.ok) ? 'all answered' : `${waited.filter((w) => !w.ok).length} did not answer`, waited.every((w) => w.ok))
    report.phases.wait += performance.now() - t1
    const late = waited.filter((w) => !w.ok)
    report.waits.push(...late.map((w) => ({group, host: w.host, error: w.error ?? ''})))
    if (late.length) return true
    const t2 = performance.now()
    try {
      const depEnv = Object.fromEntries((spec.dependsOn ?? []).map((d) => [`DOPS_${d.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_HOSTS`, all.filter((h) => h.group === d).map((h) => transport.target(h).address).join(' ')]))
      // the plan's secrets (${env:..}, ${file:..}) never reach the progress, the report or the journal
      const secrets = e.t.secrets
      const redact = makeRedactor(secrets)
      for (const s of spec.bootstrap ?? []) {
        const content = s.script ? await readFile(path.resolve(e.loaded.dir, s.script), 'utf8') : undefined
        const name = redact(s.name ?? s.script ?? s.run ?? '')
        const end = step(p, 'bootstrap', `${group}: bootstrap ${name}`)
        const r = await runFleet({hosts, transport, spec: {...scriptSpec(s, content), env: depEnv}, hostEnv: (h) => hostEnv(h, {project: e.loaded.plan.project, address: transport.target(h).address}), reporter: p.reporter, secrets})
        const failed = r.results.filter((x) => x.status !== 'ok')
        end(`${r.summary.ok}/${r.summary.total} ok`, !failed.length)
        report.bootstrap.push({group, script: name, ok: r.summary.ok, failed: failed.length, errors: failed.map((f) => `${f.host}: ${f.error ?? ''} ${f.stderr.trim().slice(-200)}`), hosts: hostRuns(e, r.results)})
        if (failed.length) return true
      }
    } finally {
      report.phases.bootstrap += performance.now() - t2
    }
    return false
  } finally {
    await transport.close()
  }
}
