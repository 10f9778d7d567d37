/**
 * Topology events: the plan's hostsJoined / hostsLeft handlers run on their groups with the membership. The
 * membership goes as a JSON file on each handler host (DOPS_MEMBERS_FILE, removed afterwards), never on the command
 * line: thousands of members would pass the kernel's limit for one argument. The plan's secrets are redacted from
 * the handlers' output (runFleet), as `dops run` does.
 */
import {readFile} from 'node:fs/promises'
import path from 'node:path'
import {ExitCode} from '../../errors.js'
import {hostEnv} from '../../fleet/host-env.js'
import {runFleet, type RunOutcome, type RunSpec} from '../../fleet/run.js'
import type {HostResult} from '../../fleet/types.js'
import type {Host} from '../../inventory/host.js'
import type {Reporter} from '../../events.js'
import type {InstanceState} from '../../state/local-file.js'
import {resolveTargets} from '../../targets.js'
import {createSshTransport} from '../../transport/factory.js'
import {shQuote} from '../../transport/remote-command.js'
import type {SshTransport} from '../../transport/ssh.js'
import {hostRuns, step, type EnvContext} from '../context.js'
import type {EnvReport} from '../types.js'

/** how long writing or removing the membership file on a handler host may take (a host that stops answering mid-way) */
const FILE_DEADLINE_MS = 30_000

export type EventKind = 'hostsJoined' | 'hostsLeft'
export type EventList = ReadonlyArray<readonly [string, EventKind, Array<InstanceState | Host>]>

export interface Membership {
  event: EventKind
  group: string
  hosts: Array<{name: string; address: string; port?: number}>
  changed: Array<{name: string; address: string}>
}

/**
 * Run one handler on `targets` with `membership`: the JSON is written to a private temporary file on each target
 * (through stdin), named by DOPS_MEMBERS_FILE, and removed after the handler. A target that cannot be reached is a
 * failed host in the result (its error says why), never an exception.
 */
export async function runHandler(o: {transport: SshTransport; targets: Host[]; spec: RunSpec; membership: Membership; reporter?: Reporter; secrets?: string[]; project?: string}): Promise<RunOutcome> {
  const {transport, targets, membership: m} = o
  const json = JSON.stringify(m)
  const env = {...o.spec.env, DOPS_EVENT: m.event, DOPS_EVENT_GROUP: m.group, DOPS_HOSTS: m.hosts.map((h) => h.address).join(' '), DOPS_CHANGED_HOSTS: m.changed.map((h) => h.address).join(' ')}
  const files = new Map<string, string>()
  // why a host took no file: the error of that attempt (a deadline, a refused connection, mktemp's own message)
  const failures = new Map<string, string>()
  await Promise.all(
    targets.map(async (x) => {
      const r = await transport
        .connect(x)
        .then((c) => c.exec('umask 077; f=$(mktemp "${TMPDIR:-/tmp}/dops-members.XXXXXX") && cat > "$f" && printf %s "$f"', {stdin: json, deadlineMs: FILE_DEADLINE_MS}))
        .catch((error: Error) => error)
      if (!(r instanceof Error) && r.exitCode === 0 && r.stdout.trim()) return files.set(x.name, r.stdout.trim())
      const why = r instanceof Error ? r.message : r.deadlineExceeded ? `no answer within ${FILE_DEADLINE_MS / 1000} s` : `exit code ${r.exitCode ?? 'none'}${r.stderr.trim() ? `: ${r.stderr.trim().split('\n').at(-1)}` : ''}`
      failures.set(x.name, `${x.name}: could not write the membership file (${why})`)
    }),
  )
  try {
    // a host that took no file does not run the handler without its membership: it is a failed host
    const ready = targets.filter((x) => files.has(x.name))
    const r = await runFleet({hosts: ready, transport, spec: {...o.spec, env}, hostEnv: (x) => hostEnv(x, {project: o.project, address: transport.target(x).address}, {DOPS_MEMBERS_FILE: files.get(x.name)!}), reporter: o.reporter, secrets: o.secrets})
    const missed = targets.filter((x) => !files.has(x.name))
    if (!missed.length) return r
    const failed: HostResult[] = missed.map((x) => ({host: x.name, address: x.address, group: x.group, status: 'unreachable', exitCode: null, stdout: '', stderr: '', durationMs: 0, batch: 1, error: failures.get(x.name)}))
    return {...r, results: [...r.results, ...failed], summary: {...r.summary, total: r.summary.total + missed.length, unreachable: r.summary.unreachable + missed.length}}
  } finally {
    await Promise.all([...files].map(async ([name, f]) => transport.connect(targets.find((x) => x.name === name)!).then((c) => c.exec(`rm -f ${shQuote(f)}`, {deadlineMs: FILE_DEADLINE_MS})).catch(() => undefined)))
  }
}

/** Run the plan's handlers for membership changes on their groups, with the membership (less `leaving`). */
export async function fireEvents(e: EnvContext, report: EnvReport, events: EventList, leaving: Set<string>): Promise<void> {
  const p = e.p
  const all = (await resolveTargets(p.source)).hosts
  const transport = createSshTransport({...p.connection, projectDir: e.t.projectDir, planSsh: e.loaded.plan.ssh})
  try {
    for (const [group, kind, list] of events) {
      for (const h of e.groups[group]!.on?.[kind] ?? []) {
        const members = all.filter((x) => x.group === group && !leaving.has(x.name))
        // addresses as SSH reaches them (an ssh_config alias resolved to its HostName)
        const addr = (m: Host) => transport.target(m).address
        const changed = list.map((m) => all.find((x) => x.name === m.name && x.group === group) ?? m)
        const membership: Membership = {event: kind, group, hosts: members.map((m) => ({name: m.name, address: addr(m), port: m.port})), changed: changed.map((m) => ({name: m.name, address: 'group' in m ? addr(m) : m.address}))}
        const spec: RunSpec = h.script ? {script: {path: h.script, content: await readFile(path.resolve(e.loaded.dir, h.script), 'utf8')}} : {command: h.run}
        const targets = all.filter((x) => x.group === h.group && !leaving.has(x.name))
        if (!targets.length) continue
        const end = step(p, 'events', `${group}.${kind} -> ${h.group}`)
        const r = await runHandler({transport, targets, spec, membership, reporter: p.reporter, secrets: e.t.secrets, project: e.loaded.plan.project})
        end(`${r.summary.ok}/${r.summary.total} ok`, r.summary.ok === r.summary.total)
        report.events.push({group, event: kind, handlerGroup: h.group, ok: r.summary.ok, failed: r.summary.total - r.summary.ok, hosts: hostRuns(e, r.results)})
        if (r.summary.ok < r.summary.total) report.exitCode = ExitCode.SOME_FAILED
      }
    }
  } finally {
    await transport.close()
  }
}
