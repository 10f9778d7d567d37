/**
 * The local provider's load balancers (the `local` LbBackend): each is nginx on its own sandbox host, in the
 * environment's address range. Listeners are nginx servers on the host's address, target groups upstreams of their
 * group's ready hosts (following membership after every state write), path and host rules nginx maps; a deploy's
 * traffic control marks a target `down` (lb-traffic.ts). What nginx here cannot honour is listed by `ignoredFields`.
 * Recorded in `state.resources.loadBalancers` (type `local`, its host); its host is found again by its own record.
 */
import {existsSync} from 'node:fs'
import path from 'node:path'
import {DopsError, ExitCode, InvalidInputError} from '../../errors.js'
import {registerLbBackend, type LbBackend, type LbRecord, type ResourceScope} from '../../env/resources.js'
import type {LoadBalancerSpec} from '../../plan/types.js'
import type {EnvState, InstanceState} from '../../state/local-file.js'
import {ignoredKeys, modelChanges, servedListeners} from './lb-config.js'
import {appliedModel, createLbHost, destroyLbHosts, hostRunning, lbHosts, readDown, runningLbHost} from './lb-host.js'
import {localTraffic} from './lb-traffic.js'
import {desiredModel, lbRecords, planLbs, updateLb} from './lb-update.js'
import {answers, sandboxUnavailable} from './sandbox.js'

/** nginx runs on the load balancer's sandbox host, which shares this machine's programs */
function nginxMissing(): string | undefined {
  const dirs = (process.env.PATH ?? '/usr/sbin:/usr/bin').split(':').concat(['/usr/sbin', '/usr/local/sbin'])
  return dirs.some((d) => d && existsSync(path.join(d, 'nginx'))) ? undefined : 'local load balancers need nginx on this machine: apt-get install -y nginx-light'
}

function records(state: EnvState): Record<string, LbRecord> {
  state.resources ??= {}
  return (state.resources.loadBalancers ??= {}) as Record<string, LbRecord>
}

/** the provider (name under `providers`) of a load balancer: its own, else its first target group's group's */
function providerName(s: ResourceScope, spec: LoadBalancerSpec): string {
  const env = s.loaded.plan.environments?.[s.envName]
  const first = Object.values(spec.targetGroups)[0]
  return spec.provider ?? env?.groups?.[first?.group ?? '']?.provider ?? env?.provider ?? 'local'
}

function describe(spec: LoadBalancerSpec): string {
  const l = servedListeners(spec).map(({l}) => `${l.port} -> ${l.targets}`)
  return `nginx on a sandbox host; listener(s) ${l.join(', ') || 'none served'}`
}

/** Recorded or found load balancers of this backend that the plan no longer has (or all, for teardown). */
async function strays(s: ResourceScope, state: EnvState, keep: string[]): Promise<string[]> {
  const recorded = Object.entries(lbRecords(state)).filter(([, r]) => r.type === 'local').map(([n]) => n)
  const found = [...(await lbHosts(s)).keys()]
  return [...new Set([...recorded, ...found])].filter((n) => !keep.includes(n)).sort()
}

async function remove(s: ResourceScope, state: EnvState, name: string): Promise<string> {
  const hosts = (await lbHosts(s)).get(name) ?? []
  await destroyLbHosts(s, name, hosts)
  if (lbRecords(state)[name]?.type === 'local') delete records(state)[name]
  return `- load balancer ${name}${hosts.length ? ` (sandbox host ${hosts.map((h) => h.name).join(', ')})` : ''}`
}

export const localLbBackend: LbBackend = {
  type: 'local',

  async drift(s, names, state) {
    const out: string[] = []
    for (const name of names) {
      const spec = planLbs(s)[name]!
      const host = await runningLbHost(s, name)
      if (!host) {
        out.push(`+ load balancer ${name} (${describe(spec)})`)
        continue
      }
      if (await nginxStopped(host)) out.push(`~ load balancer ${name}: nginx is not running on ${host.name} (started again)`)
      else out.push(...(await dryRun(s, name, spec, host, state)))
    }
    for (const name of await strays(s, state, names)) out.push(`- load balancer ${name}`)
    return out
  },

  async reconcile(s, names, state) {
    const out: string[] = []
    for (const name of await strays(s, state, names)) out.push(await remove(s, state, name))
    if (names.length) {
      const why = sandboxUnavailable() ?? nginxMissing()
      if (why) throw new DopsError('LB_UNAVAILABLE', `load balancer(s) ${names.join(', ')}: ${why}`, {exitCode: ExitCode.INVALID_INPUT})
    }
    for (const name of names) {
      const spec = planLbs(s)[name]!
      for (const [tg, g] of Object.entries(spec.targetGroups)) if (!s.loaded.plan.environments?.[s.envName]?.groups?.[g.group]) throw new InvalidInputError(`load balancer ${name}: target group ${tg}: \`${g.group}\` is not a group of environment ${s.envName}`)
      let host = await runningLbHost(s, name)
      let made = false
      if (!host) {
        // a host that stopped (or a half-made one) is replaced: its files go, a new one is made
        await destroyLbHosts(s, name, ((await lbHosts(s)).get(name) ?? []).filter((h) => !hostRunning(h)))
        const prov = providerName(s, spec)
        host = await createLbHost(s, name, s.provider(prov).settings)
        made = true
      }
      records(state)[name] = {
        provider: providerName(s, spec),
        type: 'local',
        dnsName: host.address,
        host: {name: host.name, address: host.address},
        targetGroups: Object.fromEntries(Object.entries(spec.targetGroups).map(([tg, g]) => [tg, {group: g.group, port: g.port}])),
      }
      const stopped = !made && (await nginxStopped(host))
      const changes = await updateLb(s, name, spec, host, state, {force: made || stopped})
      if (stopped) out.push(`~ load balancer ${name}: nginx started again on ${host.name}`)
      out.push(...(made ? [`+ load balancer ${name} (${describe(spec)}, on ${host.address})`] : changes))
    }
    return out
  },

  async follow(s, names, state) {
    const out: string[] = []
    for (const name of names) {
      if (lbRecords(state)[name]?.type !== 'local') continue
      const host = await runningLbHost(s, name)
      if (host) out.push(...(await updateLb(s, name, planLbs(s)[name]!, host, state)))
    }
    return out
  },

  async teardown(s, state) {
    const out: string[] = []
    for (const name of await strays(s, state, [])) out.push(await remove(s, state, name))
    return out
  },

  async leftovers(s) {
    const out: string[] = []
    for (const [name, hosts] of await lbHosts(s)) for (const h of hosts) out.push(`load balancer ${name}: sandbox host ${h.name} (${String(h.data.dir)})`)
    return out
  },

  ignoredFields: (s, name) => {
    const spec = planLbs(s)[name]
    return spec ? ignoredKeys(spec) : []
  },

  async traffic(s, targetGroup) {
    const found = Object.entries(planLbs(s)).find(([, spec]) => Object.hasOwn(spec.targetGroups, targetGroup))
    if (!found) throw new InvalidInputError(`target group \`${targetGroup}\` is not a target group of a load balancer of environment ${s.envName}`)
    return localTraffic(s, found[0], targetGroup)
  },
}

/** nginx of a running load balancer host does not answer on its first listener (it stopped or was stopped) */
async function nginxStopped(host: InstanceState): Promise<boolean> {
  const l = (await appliedModel(host))?.listeners[0]
  return !!l && !(await answers(host.address, l.port)) && !(await answers(host.address, l.port))
}

/** `env plan`: what reconcile would change on a running load balancer. */
async function dryRun(s: ResourceScope, name: string, spec: LoadBalancerSpec, host: InstanceState, state: EnvState): Promise<string[]> {
  const have = await appliedModel(host)
  if (!have) return [`~ load balancer ${name}: configuration written`]
  return modelChanges(name, have, desiredModel(spec, host, state, await readDown(host)))
}

registerLbBackend(localLbBackend)
