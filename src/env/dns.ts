/**
 * The `dns` EnvResource: the environment's `dns:` records, kept by the provider that serves them. aws: Route 53
 * (src/providers/aws/dns.ts). Any other provider type has no DNS service: the whole `dns:` is reported by env plan
 * and env up as ignored by its provider (nothing made, nothing recorded). The records dops made are recorded in
 * `state.resources.dns`; only those are ever changed or removed.
 *
 * The provider is `dns.provider`, else that of the first record's load balancer (its own `provider`, else the
 * group of its first target group) or group. A records hold the addresses of the group's ready hosts (IPv4 only;
 * a group with none has no record); after each state write `follow` brings them in step with membership.
 */
import {isIP} from 'node:net'
import {DopsError, ExitCode} from '../errors.js'
import type {DnsSpec, EnvironmentSpec} from '../plan/types.js'
import type {EnvState} from '../state/local-file.js'
import type {DnsOptions, DnsState, DnsWant} from '../providers/aws/dns.js'
import type {AwsSettings} from '../providers/aws/dns-sdk.js'
import {fullName, normName} from '../providers/aws/dns-names.js'
import type {EnvResource, ResourceScope} from './resources.js'
import {plannedCount} from './diff.js'

const envSpec = (s: ResourceScope): EnvironmentSpec => s.loaded.plan.environments?.[s.envName] ?? {}
const dnsSpec = (s: ResourceScope): DnsSpec | undefined => envSpec(s).dns
/** What dops recorded of its records; a record of another shape (edited by hand) is refused, never guessed at. */
export function dnsState(state: EnvState): DnsState | undefined {
  const v = state.resources?.dns as Partial<DnsState> | undefined
  if (v === undefined) return undefined
  const ok = typeof v === 'object' && v !== null && typeof v.provider === 'string' && typeof v.zoneId === 'string' && typeof v.zone === 'string' && Array.isArray(v.records) && v.records.every((r) => typeof r?.name === 'string' && typeof r?.type === 'string')
  if (!ok) throw new DopsError('STATE_CORRUPT', `the state's resources.dns of environment ${state.env} is not what dops writes (provider, zoneId, zone, records[{name, type}]); restore it, or remove it and the records dops made by hand`, {exitCode: ExitCode.INVALID_INPUT})
  return v as DnsState
}

function setState(state: EnvState, next: DnsState | undefined): void {
  if (next) state.resources = {...state.resources, dns: next}
  else if (state.resources) delete state.resources.dns
}

const groupProvider = (s: ResourceScope, group: string): string | undefined => {
  const env = envSpec(s)
  const g = env.groups?.[group]
  return g ? (g.provider ?? env.provider ?? 'static') : undefined
}
const lbProviderName = (s: ResourceScope, lb: string): string | undefined => {
  const spec = envSpec(s).loadBalancers?.[lb]
  if (!spec) return undefined
  const first = Object.values(spec.targetGroups ?? {})[0]
  return spec.provider ?? (first ? groupProvider(s, first.group) : undefined)
}

/** The provider that serves the records: `dns.provider`, else that of the first record's load balancer or group. */
export function dnsProvider(s: ResourceScope, spec: DnsSpec): {name: string; type: string; settings: Record<string, unknown>} | undefined {
  if (spec.provider) return s.provider(spec.provider)
  for (const r of spec.records ?? []) {
    const name = r.alias ? lbProviderName(s, r.alias) : r.group ? groupProvider(s, r.group) : undefined
    if (name) return s.provider(name)
  }
  return undefined
}

/** The addresses of the group's ready hosts (created or static) that an A record can hold: IPv4, once each, sorted. */
export function readyAddresses(state: EnvState, group: string): string[] {
  const hosts = [...(state.groups[group]?.instances ?? []), ...(state.static?.[group]?.hosts ?? [])]
  return [...new Set(hosts.filter((h) => h.ready !== false && isIP(h.address) === 4).map((h) => h.address))].sort()
}

/** A group record's addresses, and whether the group is to have hosts that are not ready yet. */
function groupRecord(s: ResourceScope, state: EnvState, group: string): {group: string; values: string[]; pending: boolean} {
  const values = readyAddresses(state, group)
  const spec = envSpec(s).groups?.[group]
  const planned = !spec ? 0 : spec.hosts || spec.inventory ? (spec.hosts?.length ?? 1) : (state.groups[group]?.scaled?.desired ?? plannedCount(spec))
  return {group, values, pending: !values.length && planned > 0}
}

/** What the plan wants, resolved against the state (undefined: no `dns:`, or not served by aws). */
function want(s: ResourceScope, state: EnvState): DnsWant | undefined {
  const spec = dnsSpec(s)
  const prov = spec && dnsProvider(s, spec)
  if (!spec || prov?.type !== 'aws') return undefined
  const ttl = spec.ttl ?? 60
  return {
    project: s.loaded.plan.project,
    env: s.envName,
    provider: prov.name,
    settings: prov.settings as AwsSettings,
    ...(spec.zoneId ? {zoneId: spec.zoneId} : {zone: spec.zone}),
    records: (spec.records ?? []).map((r) => ({name: r.name, ttl: r.ttl ?? ttl, ...(r.alias ? {alias: r.alias} : groupRecord(s, state, r.group ?? ''))})),
    lbSettings: (lb) => s.provider(lbProviderName(s, lb) ?? prov.name).settings as AwsSettings,
  }
}

/** The settings of the provider that made the recorded records (it must still be an aws provider of the plan). */
function formerSettings(s: ResourceScope, st: DnsState | undefined): AwsSettings | undefined {
  if (!st) return undefined
  const p = s.provider(st.provider)
  if (p.type !== 'aws' || !s.loaded.plan.providers?.[st.provider]) {
    throw new DopsError('PROVIDER_ERROR', `dns: the records dops made in zone ${st.zone} (${st.records.map((r) => r.name.replace(/\.$/, '')).join(', ')}) were made through provider \`${st.provider}\`, which the plan no longer defines as an aws provider; put it back under \`providers\` so they can be changed or removed`, {exitCode: ExitCode.PROVIDER_FAILED})
  }
  return p.settings as AwsSettings
}

const aws = () => import('../providers/aws/dns.js')

/** follow's quick check, without an API call: do the group records' addresses differ from those recorded? (a TTL change is env up's) */
function membersChanged(w: DnsWant, st: DnsState): boolean {
  return w.records.some((r) => {
    if (!r.group) return false
    const rec = st.records.find((x) => x.name === fullName(r.name, st.zone) && x.type === 'A')
    const values = r.values ?? []
    return rec ? (rec.values ?? []).join(' ') !== values.join(' ') : values.length > 0
  })
}

/** Is the plan's zone the one recorded (by id, or by name)? */
const sameZone = (w: DnsWant, st: DnsState) => (w.zoneId ? w.zoneId.replace(/^\/?hostedzone\//, '') === st.zoneId : normName(w.zone ?? '') === normName(st.zone))

/** The stop signal for the INSYNC wait, and the save of new records (pending) before their change batch is sent. */
const options = (s: ResourceScope, state: EnvState): DnsOptions => ({
  ...(s.signal ? {signal: s.signal} : {}),
  ...(s.save ? {save: async (next: DnsState) => (setState(state, next), await s.save!())} : {}),
})

/** Records removed by env down, by state: what leftovers checks. */
const tornDown = new WeakMap<EnvState, DnsState>()

export const dns: EnvResource & {ignored(s: ResourceScope): string[]} = {
  key: 'dns',
  applies: (s, state) => !!dnsSpec(s) || !!dnsState(state),
  async drift(s, state) {
    const w = want(s, state)
    const st = dnsState(state)
    if (!w && !st) return []
    return (await aws()).dnsDrift(w, st, formerSettings(s, st))
  },
  async reconcile(s, state) {
    const w = want(s, state)
    const st = dnsState(state)
    if (!w && !st) return []
    const out = await (await aws()).dnsReconcile(w, st, formerSettings(s, st), options(s, state))
    setState(state, out.state)
    return out.lines
  },
  async follow(s, state) {
    const st = dnsState(state)
    const w = st && want(s, state)
    // nothing made yet (env up's resources step makes the records first), or a move to another zone or provider
    if (!st || !w || w.provider !== st.provider || !sameZone(w, st)) return []
    if (!membersChanged(w, st)) return []
    const out = await (await aws()).dnsReconcile(w, st, undefined, {groupsOnly: true, ...options(s, state)})
    setState(state, out.state)
    return out.lines
  },
  async teardown(s, state) {
    const st = dnsState(state)
    if (!st) return []
    const {removed, kept} = await (await aws()).dnsTeardown(st, formerSettings(s, st)!, s.signal)
    for (const k of kept) s.reporter?.({type: 'warning', message: `dns: ${k} (changed since dops set it; remove it by hand if it is no longer wanted)`})
    tornDown.set(state, st)
    setState(state, undefined)
    return removed
  },
  async leftovers(s, state) {
    const st = dnsState(state) ?? tornDown.get(state)
    return st ? (await aws()).dnsLeftovers(st, formerSettings(s, st)!) : []
  },
  /** a provider without DNS (local, static, a plugin): everything under `dns:` is ignored, and said so */
  ignored(s) {
    const spec = dnsSpec(s)
    const prov = spec && dnsProvider(s, spec)
    if (!spec || prov?.type === 'aws') return []
    return [`all of it (records ${(spec.records ?? []).map((r) => r.name).join(', ')}): provider ${prov ? `\`${prov.name}\` (type ${prov.type})` : '(none)'} makes no DNS records; set \`dns.provider\` to an aws provider`]
  },
}
