/**
 * A Route 53 hosted zone: found by id, or by name when exactly one zone has it; its record sets read whole (bounded
 * pages). Names are compared normalised: lower case, a trailing dot, Route 53's `\052` as `*`.
 */
import {DopsError, ExitCode} from '../../errors.js'
import {call, errorName, type Route53} from './dns-sdk.js'
import {normName, shown} from './dns-names.js'

export {fullName, inZone, normName, shown} from './dns-names.js'

export interface Zone {
  /** bare id (no `/hostedzone/`) */
  id: string
  /** without the trailing dot */
  name: string
}

/** One record set as Route 53 has it (only simple ones: those with a SetIdentifier are never dops's). */
export interface RecordSet {
  name: string
  type: string
  ttl?: number
  values?: string[]
  alias?: {zoneId: string; dnsName: string; evaluate: boolean}
  setIdentifier?: string
}

const PAGES = 100
const bareId = (id: string) => id.replace(/^\/?hostedzone\//, '')

/** The zone by id, or by name when exactly one hosted zone has that name (else an error listing their ids). */
export async function findZone(r: Route53, spec: {zone?: string; zoneId?: string}): Promise<Zone> {
  if (spec.zoneId) {
    const id = bareId(spec.zoneId)
    try {
      const out = await r.c.send(new r.m.GetHostedZoneCommand({Id: id}))
      return {id, name: shown(normName(out.HostedZone!.Name!))}
    } catch (e) {
      if (errorName(e) === 'NoSuchHostedZone') throw new DopsError('PROVIDER_ERROR', `dns: hosted zone ${id} does not exist (Route 53 knows no zone with that id)`, {exitCode: ExitCode.PROVIDER_FAILED})
      return call(`GetHostedZone ${id}`, () => Promise.reject(e))
    }
  }
  const want = normName(spec.zone ?? '')
  const ids: string[] = []
  let next: {DNSName?: string; HostedZoneId?: string} = {DNSName: want}
  for (let page = 0; page < PAGES; page++) {
    const out = await call(`ListHostedZonesByName ${shown(want)}`, () => r.c.send(new r.m.ListHostedZonesByNameCommand({...next, MaxItems: 100})))
    const zones = out.HostedZones ?? []
    for (const z of zones) if (normName(z.Name!) === want) ids.push(bareId(z.Id!))
    // zones come sorted by name: once past ours, there is no other of that name
    if (!out.IsTruncated || zones.some((z) => normName(z.Name!) !== want) || !out.NextDNSName) break
    next = {DNSName: out.NextDNSName, HostedZoneId: out.NextHostedZoneId}
  }
  if (ids.length === 1) return {id: ids[0]!, name: shown(want)}
  if (!ids.length) throw new DopsError('PROVIDER_ERROR', `dns: no hosted zone is named ${shown(want)} (create it, or give \`zoneId\`)`, {exitCode: ExitCode.PROVIDER_FAILED})
  throw new DopsError('PROVIDER_ERROR', `dns: ${ids.length} hosted zones are named ${shown(want)} (${ids.join(', ')}); give the one to use as \`zoneId\``, {exitCode: ExitCode.PROVIDER_FAILED})
}

/** Every record set of the zone (at most 100 pages of 300). `gone`: a zone that no longer exists has none (else an error). */
export async function listRecords(r: Route53, zoneId: string, gone: 'empty' | 'error' = 'error'): Promise<RecordSet[]> {
  const out: RecordSet[] = []
  let start: {StartRecordName?: string; StartRecordType?: import('@aws-sdk/client-route-53').RRType; StartRecordIdentifier?: string} = {}
  for (let page = 0; page < PAGES; page++) {
    const res = await call(`ListResourceRecordSets ${zoneId}`, () =>
      r.c.send(new r.m.ListResourceRecordSetsCommand({HostedZoneId: zoneId, MaxItems: 300, ...start})).catch((e: unknown) => {
        if (gone === 'empty' && errorName(e) === 'NoSuchHostedZone') return {ResourceRecordSets: [], IsTruncated: false, NextRecordName: undefined, NextRecordType: undefined, NextRecordIdentifier: undefined}
        throw e
      }),
    )
    for (const s of res.ResourceRecordSets ?? []) {
      out.push({
        name: normName(s.Name!),
        type: s.Type!,
        ...(s.AliasTarget ? {alias: {zoneId: s.AliasTarget.HostedZoneId!, dnsName: normName(s.AliasTarget.DNSName!), evaluate: !!s.AliasTarget.EvaluateTargetHealth}} : {ttl: s.TTL, values: (s.ResourceRecords ?? []).map((v) => v.Value!)}),
        ...(s.SetIdentifier ? {setIdentifier: s.SetIdentifier} : {}),
      })
    }
    if (!res.IsTruncated) return out
    start = {StartRecordName: res.NextRecordName, StartRecordType: res.NextRecordType, ...(res.NextRecordIdentifier ? {StartRecordIdentifier: res.NextRecordIdentifier} : {})}
  }
  throw new DopsError('PROVIDER_ERROR', `dns: zone ${zoneId} has more than ${PAGES * 300} record sets; dops reads at most that many`, {exitCode: ExitCode.PROVIDER_FAILED})
}
