/**
 * One Route 53 change batch (CREATE new record sets, UPSERT changed ones dops owns, DELETE with their current values), then GetChange
 * until Route 53 says INSYNC, within a bounded wait (polls 1 s, doubling to 10 s).
 */
import type {Change, ResourceRecordSet} from '@aws-sdk/client-route-53'
import {DopsError, ExitCode} from '../../errors.js'
import {call, type Route53} from './dns-sdk.js'
import type {RecordSet} from './dns-zone.js'

export interface RecordChange {
  action: 'CREATE' | 'UPSERT' | 'DELETE'
  set: RecordSet
}

export function toRoute53(s: RecordSet): ResourceRecordSet {
  if (s.alias) return {Name: s.name, Type: s.type as ResourceRecordSet['Type'], AliasTarget: {HostedZoneId: s.alias.zoneId, DNSName: s.alias.dnsName, EvaluateTargetHealth: s.alias.evaluate}}
  return {Name: s.name, Type: s.type as ResourceRecordSet['Type'], TTL: s.ttl, ResourceRecords: (s.values ?? []).map((Value) => ({Value}))}
}

const sleep = (ms: number, signal?: AbortSignal) => new Promise<void>((r) => {
  const t = setTimeout(r, ms)
  signal?.addEventListener('abort', () => (clearTimeout(t), r()), {once: true})
})

/** Submit the changes as one batch and wait until they are INSYNC (at most `timeoutMs`); returns the change id. */
export async function applyChanges(r: Route53, zoneId: string, changes: RecordChange[], timeoutMs: number, signal?: AbortSignal): Promise<string | undefined> {
  if (!changes.length) return undefined
  const batch: Change[] = changes.map((c) => ({Action: c.action, ResourceRecordSet: toRoute53(c.set)}))
  const out = await call(`ChangeResourceRecordSets ${zoneId}`, () => r.c.send(new r.m.ChangeResourceRecordSetsCommand({HostedZoneId: zoneId, ChangeBatch: {Comment: 'dops', Changes: batch}})))
  const id = out.ChangeInfo!.Id!.replace(/^\/?change\//, '')
  let status = out.ChangeInfo!.Status
  const end = Date.now() + timeoutMs
  for (let wait = 1000; status !== 'INSYNC'; wait = Math.min(wait * 2, 10_000)) {
    if (signal?.aborted) {
      throw new DopsError('INTERRUPTED', `dns: stopped while Route 53 change ${id} in zone ${zoneId} was still ${status}; Route 53 goes on applying it, and the next env command checks the records again`, {exitCode: ExitCode.INTERRUPTED})
    }
    if (Date.now() >= end) {
      throw new DopsError('PROVIDER_ERROR', `dns: Route 53 change ${id} in zone ${zoneId} is still ${status} after ${Math.round(timeoutMs / 1000)} s (the provider's \`dnsTimeout\`); Route 53 goes on applying it, and the next env command checks the records again`, {exitCode: ExitCode.PROVIDER_FAILED})
    }
    await sleep(Math.min(wait, Math.max(0, end - Date.now())), signal)
    status = (await call(`GetChange ${id}`, () => r.c.send(new r.m.GetChangeCommand({Id: id})))).ChangeInfo!.Status
  }
  return id
}
