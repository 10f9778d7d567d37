/**
 * The `local` provider: each instance is a sandbox host on this machine (see sandbox.ts), started by `env up`,
 * stopped by `env down`, recorded in the state. Host keys are pinned into the project's .dops/known_hosts when the
 * host is made, so the first connection is verified without trust-on-first-use.
 */
import {existsSync} from 'node:fs'
import {appendFile, mkdir, readdir, readFile, rm, writeFile} from 'node:fs/promises'
import path from 'node:path'
import type {InstanceState} from '../../state/local-file.js'
import type {Provider, ProviderContext} from '../types.js'
import {answers, claimSlot, keygen, killSandbox, launchSandbox, prepareSandboxHost, releaseSlot, sandboxUnavailable, sshdConfig, waitForPort} from './sandbox.js'
import {processAlive} from '../../util/process.js'

export const LOCAL_ROOT = '/var/tmp/dops-local'
const HONOURED = ['count']

function envRoot(ctx: ProviderContext): string {
  return path.join(LOCAL_ROOT, `${ctx.project}-${ctx.env}`)
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
    for (const i of instances) if (processAlive(Number(i.data.pid)) && (await answers(i.address, i.port))) out.push(i)
    return out
  },

  async discover(ctx) {
    const hosts = path.join(envRoot(ctx), 'hosts')
    const out: InstanceState[] = []
    for (const name of await readdir(hosts).catch(() => [] as string[])) {
      const rec = await readFile(path.join(hosts, name, 'instance.json'), 'utf8').then((t) => JSON.parse(t) as InstanceState, () => undefined)
      if (rec && rec.data.group === ctx.group && processAlive(Number(rec.data.pid))) out.push(rec)
    }
    return out.sort((a, b) => Number(/-(\d+)$/.exec(a.name)?.[1] ?? 0) - Number(/-(\d+)$/.exec(b.name)?.[1] ?? 0))
  },

  async create(ctx, count, existing) {
    const root = envRoot(ctx)
    await mkdir(root, {recursive: true})
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
    const made: InstanceState[] = []
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
      const inst: InstanceState = {id: `${ctx.project}-${ctx.env}-${name}`, name, address, port: 22, user: 'root', identityFile: key, knownHosts: knownHostsFile(ctx), createdAt: new Date().toISOString(), data: {pid: proc.pid, dir, slot, group: ctx.group, hostKey: `${pub.type} ${pub.key}`}}
      // the sandbox's own record (what tags are to a cloud instance): a lost state is recovered from these
      await writeFile(path.join(dir, 'instance.json'), JSON.stringify(inst))
      made.push(inst)
    }
    await Promise.all(made.map((m) => waitForPort(m.address, m.port, Date.now() + 15_000)))
    const kh = knownHostsFile(ctx)
    await mkdir(path.dirname(kh), {recursive: true})
    await forgetHostKeys(kh, made.map((m) => m.address))
    await appendFile(kh, made.map((m) => `${m.address} ${m.data.hostKey}\n`).join(''))
    await writeFile(statePath, JSON.stringify([...used]))
    return made
  },

  async destroy(ctx, instances) {
    for (const i of instances) killSandbox(Number(i.data.pid))
    const root = envRoot(ctx)
    for (const i of instances) await rm(String(i.data.dir), {recursive: true, force: true})
    await forgetHostKeys(knownHostsFile(ctx), instances.map((i) => i.address))
    const statePath = path.join(root, 'addresses.json')
    const used = (JSON.parse(await readFile(statePath, 'utf8').catch(() => '[]')) as string[]).filter((a) => !instances.some((i) => i.address === a))
    await writeFile(statePath, JSON.stringify(used)).catch(() => undefined)
  },
}

/** Free the environment's address range when nothing of it is left. */
export async function releaseLocalEnv(project: string, env: string): Promise<void> {
  const root = path.join(LOCAL_ROOT, `${project}-${env}`)
  const slotFile = path.join(root, 'slot')
  if (existsSync(slotFile)) await releaseSlot(Number(await readFile(slotFile, 'utf8')))
  await rm(root, {recursive: true, force: true})
}
