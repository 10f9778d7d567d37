/**
 * The `local` provider: each instance is a sandbox host on this machine (see sandbox.ts), started by `env up`,
 * stopped by `env down`, recorded in the state. Host keys are pinned into the project's .dops/known_hosts when the
 * host is made, so the first connection is verified without trust-on-first-use.
 *
 * The sandboxes belong to the plan's directory, as the state next to it does (a Terraform working directory): their
 * files are in /var/tmp/dops-local/<project>-<env>-<hash of the plan directory>, so two checkouts of one plan have
 * their own sandboxes. (Not in the plan's directory itself: a plan under /root or /tmp would be hidden from its own
 * sandboxes, which mount their own /root and /tmp.) A recorded process is only killed when it is still that sandbox
 * (start time and command line), and only files under this directory are ever deleted.
 */
import {createHash} from 'node:crypto'
import {existsSync, realpathSync} from 'node:fs'
import {appendFile, mkdir, readdir, readFile, rm, writeFile} from 'node:fs/promises'
import path from 'node:path'
import type {InstanceState} from '../../state/local-file.js'
import {PartialCreateError, type Provider, type ProviderContext} from '../types.js'
import {isSandboxProcess, processStartTime} from './identity.js'
import {outdatedHosts, shapeOf} from './shape.js'
import {answers, claimSlot, keygen, killSandbox, launchSandbox, prepareSandboxHost, releaseSlot, sandboxUnavailable, sshdConfig, waitForSandbox} from './sandbox.js'
import type {DopsError} from '../../errors.js'

export const LOCAL_ROOT = '/var/tmp/dops-local'
const HONOURED = ['count']
/** how long a new sandbox host's sshd has to listen */
const START_TIMEOUT_MS = 30_000

/** The directory of an environment's sandboxes: one per plan directory, project and environment. */
export function localEnvRoot(project: string, env: string, projectDir: string): string {
  const real = existsSync(projectDir) ? realpathSync(projectDir) : path.resolve(projectDir)
  return path.join(LOCAL_ROOT, `${project}-${env}-${createHash('sha256').update(real).digest('hex').slice(0, 10)}`)
}

function envRoot(ctx: ProviderContext): string {
  return localEnvRoot(ctx.project, ctx.env, ctx.projectDir)
}

/** A recorded host's files may be deleted only when they are a host directory of this environment (or of its directory before it was keyed by plan directory). */
function deletable(ctx: ProviderContext, dir: unknown): dir is string {
  if (typeof dir !== 'string' || !path.isAbsolute(dir)) return false
  return [envRoot(ctx), path.join(LOCAL_ROOT, `${ctx.project}-${ctx.env}`)].some((root) => path.dirname(path.resolve(dir)) === path.join(root, 'hosts'))
}

/** The recorded process is still this sandbox host (not a reused pid, not a zombie). */
function running(i: InstanceState): boolean {
  return isSandboxProcess(Number(i.data.pid), String(i.data.dir), i.data.started === undefined ? undefined : String(i.data.started))
}

function knownHostsFile(ctx: ProviderContext): string {
  return path.join(ctx.projectDir, '.dops', 'known_hosts')
}

async function forgetHostKeys(file: string, addresses: string[]): Promise<void> {
  if (!existsSync(file)) return
  const drop = new Set(addresses)
  const kept = (await readFile(file, 'utf8')).split('\n').filter((l) => l && !drop.has(l.split(' ')[0]!))
  await writeFile(file, kept.length ? kept.join('\n') + '\n' : '')
}

export const localProvider: Provider = {
  type: 'local',
  unavailable: sandboxUnavailable,
  ignoredFields: (spec) => Object.keys(spec).filter((k) => !HONOURED.includes(k)),

  async alive(_ctx, instances) {
    const out: InstanceState[] = []
    // answers() gives up after 1 s: asked twice, so a loaded machine does not make a live host look gone
    for (const i of instances) if (running(i) && ((await answers(i.address, i.port)) || (await answers(i.address, i.port)))) out.push(i)
    return out
  },

  async discover(ctx) {
    const hosts = path.join(envRoot(ctx), 'hosts')
    const out: InstanceState[] = []
    for (const name of await readdir(hosts).catch(() => [] as string[])) {
      const rec = await readFile(path.join(hosts, name, 'instance.json'), 'utf8').then((t) => JSON.parse(t) as InstanceState, () => undefined)
      if (rec && rec.data.group === ctx.group && rec.data.dir === path.join(hosts, name) && running(rec)) out.push(rec)
    }
    return out.sort((a, b) => Number(/-(\d+)$/.exec(a.name)?.[1] ?? 0) - Number(/-(\d+)$/.exec(b.name)?.[1] ?? 0))
  },

  async create(ctx, count, existing) {
    const root = envRoot(ctx)
    await mkdir(root, {recursive: true})
    await writeFile(path.join(root, 'plan-dir'), ctx.projectDir + '\n')
    const key = path.join(root, 'id_ed25519')
    if (!existsSync(key)) await keygen(key, `dops-local-${ctx.project}-${ctx.env}`)
    const authorized = path.join(root, 'authorized_keys')
    await writeFile(authorized, await readFile(key + '.pub'))
    // one loopback /24 per environment, kept across runs in root/slot
    const slotFile = path.join(root, 'slot')
    let slot = existsSync(slotFile) ? Number(await readFile(slotFile, 'utf8')) : NaN
    if (!Number.isInteger(slot)) {
      slot = await claimSlot(`local:${ctx.project}-${ctx.env}`)
      await writeFile(slotFile, String(slot))
    }
    const statePath = path.join(root, 'addresses.json')
    const used = new Set<string>(JSON.parse(await readFile(statePath, 'utf8').catch(() => '[]')) as string[])
    for (const e of existing) used.add(e.address)
    let n = Math.max(0, ...existing.map((e) => Number(/-(\d+)$/.exec(e.name)?.[1] ?? 0)))
    const made: Array<{inst: InstanceState; proc: ReturnType<typeof launchSandbox>}> = []
    for (let k = 0; k < count; k++) {
      let index = 2
      while (used.has(`127.0.${slot}.${index}`) && index < 254) index++
      if (index >= 254) throw new Error(`no free address left in 127.0.${slot}.0/24`)
      const address = `127.0.${slot}.${index}`
      used.add(address)
      const name = `${ctx.group}-${++n}`
      const dir = path.join(root, 'hosts', name)
      const pub = await prepareSandboxHost({name, dir})
      await writeFile(path.join(dir, 'sshd_config'), sshdConfig({address, port: 22, hostKey: path.join(dir, 'ssh_host_ed25519_key'), authorizedKeys: authorized}))
      const proc = launchSandbox({name, dir})
      // the pid and its start time: what env down checks before it kills (a pid alone may be another process by then)
      const inst: InstanceState = {id: `${ctx.project}-${ctx.env}-${name}`, name, address, port: 22, user: 'root', identityFile: key, knownHosts: knownHostsFile(ctx), createdAt: new Date().toISOString(), data: {pid: proc.pid, started: processStartTime(proc.pid!), dir, slot, group: ctx.group, hostKey: `${pub.type} ${pub.key}`, shape: shapeOf(ctx.spec)}}
      // the sandbox's own record (what tags are to a cloud instance): a lost state is recovered from these
      await writeFile(path.join(dir, 'instance.json'), JSON.stringify(inst))
      made.push({inst, proc})
    }
    const deadline = Date.now() + START_TIMEOUT_MS
    const started = await Promise.allSettled(made.map((m) => waitForSandbox({name: m.inst.name, dir: String(m.inst.data.dir), address: m.inst.address, port: m.inst.port, proc: m.proc}, deadline)))
    const ok = made.filter((_, k) => started[k]!.status === 'fulfilled').map((m) => m.inst)
    const failed = made.filter((_, k) => started[k]!.status === 'rejected').map((m) => m.inst)
    // a host that did not start is stopped; its files stay for its log (sshd.log), until env down
    for (const f of failed) if (running(f)) killSandbox(Number(f.data.pid))
    const kh = knownHostsFile(ctx)
    await mkdir(path.dirname(kh), {recursive: true})
    await forgetHostKeys(kh, ok.map((m) => m.address))
    await appendFile(kh, ok.map((m) => `${m.address} ${m.data.hostKey}\n`).join(''))
    await writeFile(statePath, JSON.stringify([...used].filter((a) => !failed.some((f) => f.address === a))))
    const why = started.find((s) => s.status === 'rejected') as PromiseRejectedResult | undefined
    if (why) {
      const err = why.reason as DopsError
      if (ok.length) throw new PartialCreateError(ok, err)
      throw err
    }
    return ok
  },

  /** hosts made with other `instance` fields than the spec's now (see shape.ts): replaced by env up */
  async outdated(ctx, instances) {
    return outdatedHosts(ctx.spec, instances)
  },

  async destroy(ctx, instances) {
    // only a process that is still that sandbox is killed; one that is gone (its pid reused) is left alone
    for (const i of instances) if (running(i)) killSandbox(Number(i.data.pid))
    const root = envRoot(ctx)
    // only the host's own directory under this environment's is deleted, never what a record names elsewhere
    for (const i of instances) if (deletable(ctx, i.data.dir)) await rm(i.data.dir, {recursive: true, force: true, maxRetries: 5, retryDelay: 100})
    await forgetHostKeys(knownHostsFile(ctx), instances.map((i) => i.address))
    const statePath = path.join(root, 'addresses.json')
    const used = (JSON.parse(await readFile(statePath, 'utf8').catch(() => '[]')) as string[]).filter((a) => !instances.some((i) => i.address === a))
    await writeFile(statePath, JSON.stringify(used)).catch(() => undefined)
  },
}

/** Free the environment's address range when nothing of it is left. */
export async function releaseLocalEnv(project: string, env: string, projectDir: string): Promise<void> {
  const root = localEnvRoot(project, env, projectDir)
  const slotFile = path.join(root, 'slot')
  if (existsSync(slotFile)) await releaseSlot(Number(await readFile(slotFile, 'utf8')))
  await rm(root, {recursive: true, force: true})
}
