/**
 * Checks of an environment's `dns:` the schema cannot express: an alias names a load balancer of the environment
 * (an aws one when Route 53 serves the records), a group record a group of it, the provider exists, a full name
 * (ending with a dot) lies inside the zone, record names are DNS names, no name is listed twice, and an alias
 * carries no TTL (Route 53 uses the target's). With `zoneId` (the zone's name unknown until Route 53 is asked), names
 * are compared as written; env up checks absolute ones against the zone and fails naming the record.
 */
import {closest} from './suggest.js'
import type {Plan} from './types.js'
import type {PathSegment} from './yaml-source.js'
import type {At} from './schedule-checks.js'
import {fullName, inZone, shown} from '../providers/aws/dns-names.js'

const obj = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {})
const str = (v: unknown): v is string => typeof v === 'string'
const didYouMean = (name: string, names: string[]) => {
  const guess = closest(name, names)
  return guess ? `; did you mean \`${guess}\`?` : ''
}

/** A record name: `@`, or dot-separated labels of letters, digits, `-` and `_` (a leading `*` label allowed). */
const LABEL = /^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/
export function badRecordName(name: string): string | undefined {
  if (name === '@') return undefined
  const labels = (name.endsWith('.') ? name.slice(0, -1) : name).split('.')
  if (labels.some((l) => l === '')) return 'has an empty label (two dots in a row, or a leading dot)'
  const bad = labels.find((l, i) => !(LABEL.test(l) || (l === '*' && i === 0)))
  if (bad) return `label \`${bad}\` is not a DNS label (letters, digits, \`-\` and \`_\`, at most 63; \`*\` only first)`
  if (name.length > 254) return 'is longer than 253 characters'
  return undefined
}

export function checkDns(plan: Plan, at: At, providerTypes: string[]): void {
  const providers = obj(plan.providers)
  for (const [envName, envRaw] of Object.entries(obj(plan.environments))) {
    const env = obj(envRaw)
    const dns = obj(env.dns)
    if (!Object.keys(dns).length) continue
    const base: PathSegment[] = ['environments', envName, 'dns']
    const groups = Object.keys(obj(env.groups))
    const lbs = Object.keys(obj(env.loadBalancers))
    if (str(dns.provider) && !Object.hasOwn(providers, dns.provider) && !providerTypes.includes(dns.provider)) {
      at([...base, 'provider'], `provider \`${dns.provider}\` is not defined under \`providers\`${didYouMean(dns.provider, Object.keys(providers))}`)
    }
    // which provider makes each load balancer and serves the records (as src/env/dns.ts resolves them)
    const typeOf = (name: string) => (str(obj(providers[name]).type) ? String(obj(providers[name]).type) : name)
    const groupProvider = (g: string) => (str(obj(obj(env.groups)[g]).provider) ? String(obj(obj(env.groups)[g]).provider) : str(env.provider) ? env.provider : 'static')
    const lbProvider = (lb: string): string | undefined => {
      const spec = obj(obj(env.loadBalancers)[lb])
      if (str(spec.provider)) return spec.provider
      const first = obj(Object.values(obj(spec.targetGroups))[0])
      return str(first.group) && groups.includes(first.group) ? groupProvider(first.group) : undefined
    }
    const records = (Array.isArray(dns.records) ? dns.records : []).map(obj)
    const firstRec = records.find((r) => str(r.alias) || str(r.group))
    const dnsProvider = str(dns.provider) ? dns.provider : firstRec ? (str(firstRec.alias) ? lbProvider(firstRec.alias) : groupProvider(String(firstRec.group))) : undefined
    const onAws = !!dnsProvider && typeOf(dnsProvider) === 'aws'
    const zone = str(dns.zone) ? dns.zone : undefined
    const seen = new Map<string, number>()
    ;(Array.isArray(dns.records) ? dns.records : []).forEach((raw, i) => {
      const r = obj(raw)
      const path: PathSegment[] = [...base, 'records', i]
      if (str(r.alias) && !lbs.includes(r.alias)) {
        at([...path, 'alias'], `alias \`${r.alias}\` is not a load balancer of environment ${envName}${didYouMean(r.alias, lbs)}`, lbs.length ? `load balancers: ${lbs.join(', ')}` : 'define it under `loadBalancers` of the environment')
      }
      const lbProv = str(r.alias) && lbs.includes(r.alias) ? lbProvider(r.alias) : undefined
      if (onAws && lbProv && typeOf(lbProv) !== 'aws') {
        at([...path, 'alias'], `load balancer \`${r.alias}\` is made by provider \`${lbProv}\` (type ${typeOf(lbProv)}): a Route 53 alias (provider \`${dnsProvider}\`) points only at an aws load balancer`)
      }
      if (str(r.group) && !groups.includes(r.group)) {
        at([...path, 'group'], `group \`${r.group}\` is not a group of environment ${envName}${didYouMean(r.group, groups)}`, groups.length ? `groups: ${groups.join(', ')}` : undefined)
      }
      if (str(r.alias) && r.ttl !== undefined) at([...path, 'ttl'], 'an alias record has no TTL of its own (Route 53 answers with the load balancer\'s); remove `ttl`')
      if (!str(r.name)) return
      const bad = badRecordName(r.name)
      if (bad) return at([...path, 'name'], `record name \`${r.name}\` ${bad}`)
      // with `zoneId` the zone's name is known only to Route 53: an absolute name (ending with a dot) is compared as
      // written; a relative one is inside the zone by construction (env up checks absolute ones against the zone)
      if (!zone) {
        const full = r.name.endsWith('.') ? fullName(r.name, '.') : `${r.name.toLowerCase()} (in zone ${String(dns.zoneId)})`
        const first = seen.get(full)
        if (first !== undefined) at([...path, 'name'], `record ${shown(full)} is already listed (records[${first}]); one record per name`)
        else seen.set(full, i)
        return
      }
      const full = fullName(r.name, zone)
      if (!inZone(full, zone)) {
        return at([...path, 'name'], `record name \`${r.name}\` is not inside zone ${shown(zone)}`, `write it relative to the zone (\`${shown(r.name).split('.')[0]}\`), \`@\` for the zone itself, or as a full name ending with \`.${shown(zone)}\``)
      }
      const first = seen.get(full)
      if (first !== undefined) at([...path, 'name'], `record ${shown(full)} is already listed (records[${first}]); one record per name`)
      else seen.set(full, i)
    })
  }
}
