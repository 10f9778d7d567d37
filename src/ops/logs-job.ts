/**
 * `dops logs APP`: the app's deployment logs (the hook output each host keeps, as CodeDeploy's scripts.log) from
 * the hosts of the groups that run it: the newest deployment's (or one deployment's) last lines, or followed
 * until the signal aborts. Host failures are data; nothing is printed here (`onLine` streams when following).
 */
import path from 'node:path'
import {InvalidInputError} from '../errors.js'
import type {Selection} from '../fleet/select.js'
import type {Host} from '../inventory/host.js'
import {resolveTargets, selectTargets, type TargetSource} from '../targets.js'
import {createSshTransport} from '../transport/factory.js'
import {DEFAULT_DEPLOY_ROOT, hostLayout} from '../deploy/host-layout.js'
import {makeRedactor} from '../util/redact.js'
import {LOG_MARKER, logsCommand, NO_LOG_EXIT, TICK} from './logs-command.js'
import type {ConnectionOverrides} from './one-host.js'

export interface HostLog {
  host: string
  group: string
  status: 'ok' | 'no-log' | 'failed' | 'unreachable'
  /** the deployment whose log this is */
  deployment?: string
  file?: string
  lines: string[]
  error?: string
}

export interface LogsReport {
  env: string
  app: string
  hosts: HostLog[]
}

export interface LogsParams {
  source: TargetSource
  selection: Selection
  connection: ConnectionOverrides
  app?: string
  deployment?: string
  lines: number
  follow?: boolean
  /** follow: each line as it arrives, with the deployment it belongs to */
  onLine?: (host: string, line: string, deployment: string | undefined) => void
  signal?: AbortSignal
}

const deploymentOf = (file: string) => path.posix.basename(file).replace(/\.log$/, '')

export async function logsJob(p: LogsParams): Promise<LogsReport> {
  const t = await resolveTargets(p.source)
  if (!t.loaded || !t.envName) throw new InvalidInputError('dops logs needs a plan (the app and the groups that run it)')
  const apps = Object.keys(t.loaded.plan.apps ?? {})
  const app = p.app ?? (apps.length === 1 ? apps[0] : undefined)
  if (!app || !apps.includes(app)) throw new InvalidInputError(p.app ? `no app \`${p.app}\` in the plan (apps: ${apps.join(', ') || 'none'})` : `choose an app: ${apps.join(', ') || 'the plan defines none'}`)
  if (p.deployment !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(p.deployment)) throw new InvalidInputError(`invalid deployment id \`${p.deployment}\` (expected letters, digits, dots, dashes, as \`dops deploy history\` shows)`)
  const groups = Object.entries(t.loaded.plan.environments![t.envName]!.groups ?? {}).filter(([, g]) => g.apps?.includes(app)).map(([n]) => n)
  const hosts = selectTargets({...t, hosts: t.hosts.filter((h) => groups.includes(h.group))}, p.selection)
  const spec = t.loaded.plan.apps![app] as {deployRoot?: string; sudo?: boolean}
  const layout = hostLayout({project: t.loaded.plan.project, env: t.envName, app}, spec.deployRoot ?? DEFAULT_DEPLOY_ROOT)
  // a host not deployed since the layout was namespaced keeps its logs under the root from before
  const layouts = [layout, ...(layout.legacyRoot ? [hostLayout(app, spec.deployRoot ?? DEFAULT_DEPLOY_ROOT)] : [])]
  const command = logsCommand({
    dirs: layouts.map((l) => path.posix.dirname(l.log('any'))),
    files: p.deployment !== undefined ? layouts.map((l) => l.log(p.deployment!)) : undefined,
    lines: p.lines,
    follow: !!p.follow,
    sudo: spec.sudo,
  })
  const transport = createSshTransport({...p.connection, projectDir: t.projectDir, planSsh: t.loaded.plan.ssh})
  try {
    // the plan's secrets never reach the output, as in every other host output
    const list = await Promise.all(hosts.map((h) => oneHost(h, command, p, transport, makeRedactor(t.secrets))))
    return {env: t.envName, app, hosts: list}
  } finally {
    await transport.close()
  }
}

async function oneHost(h: Host, command: string, p: LogsParams, transport: ReturnType<typeof createSshTransport>, redact: (s: string) => string): Promise<HostLog> {
  const out: HostLog = {host: h.name, group: h.group, status: 'ok', lines: []}
  let partial = ''
  const take = (raw: string) => {
    if (raw === TICK) return
    const line = redact(raw)
    if (line.startsWith(LOG_MARKER)) {
      out.file = raw.slice(LOG_MARKER.length)
      out.deployment = deploymentOf(out.file)
      if (p.follow) out.lines = []
      return
    }
    if (p.follow) {
      p.onLine?.(h.name, line, out.deployment)
      // following keeps only the last lines in memory
      out.lines.push(line)
      if (out.lines.length > p.lines) out.lines.shift()
    } else out.lines.push(line)
  }
  try {
    const c = await transport.connect(h)
    const r = await c.exec(command, {
      signal: p.signal,
      deadlineMs: p.follow ? undefined : 30_000,
      onOutput: p.follow
        ? (stream, chunk) => {
            if (stream !== 'stdout') return
            const parts = (partial + chunk).split('\n')
            partial = parts.pop() ?? ''
            for (const l of parts) take(l)
          }
        : undefined,
    })
    if (!p.follow) {
      const text = r.stdout.endsWith('\n') ? r.stdout.slice(0, -1) : r.stdout
      if (text) for (const l of text.split('\n')) take(l)
    } else if (partial) take(partial)
    if (p.signal?.aborted) return out
    if (r.exitCode === NO_LOG_EXIT && !out.file) return {...out, status: 'no-log', error: r.stderr.trim() || 'no deployment log'}
    if (r.deadlineExceeded) return {...out, status: 'failed', error: `reading the log on ${h.name} did not finish within 30s`}
    if (r.exitCode !== 0) return {...out, status: 'failed', error: r.stderr.trim() || `exit code ${r.exitCode}`}
    return out
  } catch (e) {
    return {...out, status: 'unreachable', error: (e as Error).message}
  }
}
