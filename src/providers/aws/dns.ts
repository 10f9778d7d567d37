/**
 * The environment's DNS records on Route 53: the records the plan wants (an alias to a load balancer of the
 * environment, or A records of a group's ready hosts) against what the zone has (ListResourceRecordSets), brought
 * in step with one change batch per zone (CREATE new, UPSERT changed ones dops owns, DELETE with the current values
 * what dops owns and no longer wants), then waited for until INSYNC. dops owns only the records it recorded in the
 * state (`state.resources.dns`: Route 53 records carry no tags); no other record of the zone is ever touched. New
 * records are recorded `pending` (through `save`) before the batch is sent: one whose change never got in sync (a
 * kill, `dnsTimeout`) is adopted by the next run when the zone's record has the values dops asked for. A record is
 * deleted only while it still has the values (or alias target) dops recorded: one changed by hand is left, and said so.
 */
import {DopsError, ExitCode, InvalidInputError} from '../../errors.js'
import {parseDuration} from '../../util/duration.js'
import {findAliasTarget} from './dns-alias.js'
import {applyChanges, type RecordChange} from './dns-change.js'
import {route53, type AwsSettings} from './dns-sdk.js'
import {findZone, fullName, inZone, listRecords, normName, shown, type RecordSet, type Zone} from './dns-zone.js'

/** What the plan wants, resolved by the environment (addresses of ready hosts, the providers' settings). */
export interface DnsWant {
  project: string
  env: string
  /** the provider's name (under `providers`) and its settings */
  provider: string
  settings: AwsSettings
  zone?: string
  zoneId?: string
  /** `pending`: a group record whose group has no ready host yet but is to have some (env plan shows it as coming) */
  records: Array<{name: string; alias?: string; group?: string; ttl: number; values?: string[]; pending?: boolean}>
  /** settings of the provider of load balancer `lb` (its region) */
  lbSettings(lb: string): AwsSettings
}

/** A record dops made and owns (recorded in `state.resources.dns`). */
export interface OwnedRecord {
  /** full name, lower case, with the trailing dot */
  name: string
  type: string
  alias?: string
  /** the alias target dops set (the load balancer's DNS name and canonical zone) */
  target?: {zoneId: string; dnsName: string}
  group?: string
  ttl?: number
  values?: string[]
  /** asked for, not yet seen in sync: owned only while the zone's record matches it */
  pending?: boolean
}
export interface DnsState {
  provider: string
  zoneId: string
  zone: string
  records: OwnedRecord[]
}

export interface DnsOptions {
  /** `follow`: only the group records (A records follow membership; aliases are left to env up) */
  groupsOnly?: boolean
  signal?: AbortSignal
  /** persist this record of what dops owns before the change batch is sent (new records marked `pending`) */
  save?: (st: DnsState) => Promise<void>
}

const key = (r: {name: string; type: string}) => `${r.name}|${r.type}`
const stripDualstack = (n: string) => n.replace(/^dualstack\./, '')
const describe = (s: RecordSet) => (s.alias ? `alias ${shown(s.alias.dnsName)}` : `${(s.values ?? []).join(', ')} (ttl ${s.ttl})`)

function same(a: RecordSet, b: RecordSet): boolean {
  if (a.alias || b.alias) return !!a.alias && !!b.alias && a.alias.zoneId === b.alias.zoneId && stripDualstack(a.alias.dnsName) === stripDualstack(b.alias.dnsName) && a.alias.evaluate === b.alias.evaluate
  return a.ttl === b.ttl && [...(a.values ?? [])].sort().join(' ') === [...(b.values ?? [])].sort().join(' ')
}

/** Does the zone's record still have what dops recorded (values, or alias target)? Unrecorded parts match. */
export function matches(cur: RecordSet, x: OwnedRecord): boolean {
  if (x.alias || cur.alias) return !!cur.alias && !!x.alias && (!x.target || (x.target.zoneId === cur.alias.zoneId && stripDualstack(normName(x.target.dnsName)) === stripDualstack(cur.alias.dnsName)))
  return !x.values || [...x.values].sort().join(' ') === [...(cur.values ?? [])].sort().join(' ')
}

/** How long a change may stay PENDING: the provider's `dnsTimeout`, default 5m. */
export const dnsTimeout = (s: AwsSettings) => Math.max(1000, parseDuration(String(s.dnsTimeout ?? '5m')) ?? 300_000)

const zoneMatches = (w: DnsWant, st: DnsState) => (w.zoneId ? w.zoneId.replace(/^\/?hostedzone\//, '') === st.zoneId : normName(w.zone ?? '') === normName(st.zone))

interface Computed {
  zone: Zone
  changes: RecordChange[]
  lines: string[]
  next: OwnedRecord[]
  /** records made by this batch (recorded `pending` before it is sent) */
  created: OwnedRecord[]
  conflicts: string[]
}

/** What bringing the zone to the plan takes (reads only). */
async function compute(w: DnsWant, st: DnsState | undefined, mode: 'drift' | 'apply', o: DnsOptions): Promise<Computed> {
  const r = route53(w.settings)
  const mineBefore = !!st && st.provider === w.provider
  const zone = mineBefore && zoneMatches(w, st!) ? {id: st!.zoneId, name: st!.zone} : await findZone(r, w)
  const owned = new Map((mineBefore && st!.zoneId === zone.id ? st!.records : []).map((x) => [key(x), x]))
  const current = new Map((await listRecords(r, zone.id)).filter((s) => !s.setIdentifier).map((s) => [key(s), s]))
  const out: Computed = {zone, changes: [], lines: [], next: [], created: [], conflicts: []}
  const wanted = new Set<string>()
  for (const [i, rec] of w.records.entries()) {
    if (o.groupsOnly && !rec.group) continue
    const name = fullName(rec.name, zone.name)
    const which = `dns.records[${i}] of environment ${w.env} (\`${rec.name}\`)`
    if (!inZone(name, zone.name)) throw new InvalidInputError(`${which}: record ${shown(name)} is not inside zone ${zone.name} (${zone.id}); write it relative to the zone, or as a full name ending with .${zone.name}.`)
    const k = key({name, type: 'A'})
    if (wanted.has(k)) throw new InvalidInputError(`${which}: record ${shown(name)} is listed twice in zone ${zone.name} (${zone.id}); one record per name`)
    wanted.add(k)
    const cur = current.get(k)
    const mine = owned.get(k)
    // a pending record is dops's only while the zone has what dops asked for
    if (cur && (!mine || (mine.pending && !matches(cur, mine)))) {
      out.conflicts.push(shown(name))
      out.lines.push(`! record ${shown(name)} A is in zone ${zone.name} but was not made by dops: left as it is (remove it, or give the record another name)`)
      continue
    }
    let want: RecordSet | undefined
    if (rec.alias) {
      const t = await findAliasTarget(w.lbSettings(rec.alias), w.project, w.env, rec.alias)
      if (!t) {
        if (mode === 'apply') throw new DopsError('PROVIDER_ERROR', `dns: record ${shown(name)}: load balancer ${rec.alias} does not exist (env up makes it before the records)`, {exitCode: ExitCode.PROVIDER_FAILED})
        out.lines.push(`+ record ${shown(name)} A alias ${rec.alias} (once the load balancer exists)`)
        continue
      }
      want = {name, type: 'A', alias: {zoneId: t.zoneId, dnsName: t.dnsName, evaluate: true}}
    } else if (rec.values?.length) {
      want = {name, type: 'A', ttl: rec.ttl, values: [...rec.values].sort()}
    }
    const what = rec.alias ? `alias ${rec.alias}` : `${want?.values?.join(', ')} (group ${rec.group}, ttl ${rec.ttl})`
    if (!want) {
      // a group without a ready host: no A record (Route 53 has no empty record set)
      if (cur) {
        out.changes.push({action: 'DELETE', set: cur})
        out.lines.push(`- record ${shown(name)} A (group ${rec.group} has no ready host)`)
      } else if (mode === 'drift' && rec.pending) out.lines.push(`+ record ${shown(name)} A (the addresses of group ${rec.group}'s hosts once they are ready)`)
      continue
    }
    const rec2: OwnedRecord = {name, type: 'A', ...(rec.alias ? {alias: rec.alias, target: {zoneId: want.alias!.zoneId, dnsName: want.alias!.dnsName}} : {group: rec.group, ttl: rec.ttl, values: want.values})}
    if (!cur) {
      out.changes.push({action: 'CREATE', set: want})
      out.lines.push(`+ record ${shown(name)} A ${what}`)
      out.created.push({...rec2, pending: true})
    } else if (mine?.pending && same(cur, want)) {
      // its change got in sync after dops stopped waiting (a kill, `dnsTimeout`): recorded as dops's now
      out.lines.push(`~ record ${shown(name)} A ${what}: recorded as dops's (its change got in sync after the last run stopped waiting)`)
    } else if (!same(cur, want)) {
      out.changes.push({action: 'UPSERT', set: want})
      out.lines.push(`~ record ${shown(name)} A: ${describe(cur)} -> ${rec.alias ? `alias ${rec.alias} (${shown(want.alias!.dnsName)})` : describe(want)}`)
    }
    out.next.push(rec2)
  }
  for (const [k, x] of owned) {
    if (wanted.has(k)) continue
    // follow leaves the records it does not handle (aliases) as they are
    if (o.groupsOnly && !x.group) {
      out.next.push(x)
      continue
    }
    const cur = current.get(k)
    if (cur && matches(cur, x)) {
      out.changes.push({action: 'DELETE', set: cur})
      out.lines.push(`- record ${shown(x.name)} ${x.type}`)
    } else if (cur && !x.pending) out.lines.push(`! record ${shown(x.name)} ${x.type} is no longer what dops set (${describe(cur)}): left as it is, no longer dops's`)
  }
  return out
}

/**
 * The records of a state that another zone or provider now replaces, or env down removes: those still as dops
 * recorded them go (a deleted zone took them); one changed since (by hand) is left, in `kept`.
 */
async function formerLines(st: DnsState, settings: AwsSettings): Promise<{lines: string[]; changes: RecordChange[]; kept: string[]}> {
  const current = new Map((await listRecords(route53(settings), st.zoneId, 'empty')).map((s) => [key(s), s]))
  const changes: RecordChange[] = []
  const kept: string[] = []
  for (const x of st.records) {
    const cur = current.get(key(x))
    // a pending record the zone does not have as dops asked was never made by dops
    if (!cur || cur.setIdentifier || (x.pending && !matches(cur, x))) continue
    if (matches(cur, x)) changes.push({action: 'DELETE', set: cur})
    else kept.push(`record ${shown(x.name)} ${x.type} (zone ${st.zone}) is no longer what dops set (${describe(cur)}): left as it is`)
  }
  return {changes, kept, lines: [...changes.map((c) => `- record ${shown(c.set.name)} ${c.set.type} (zone ${st.zone})`), ...kept.map((k) => `! ${k}`)]}
}

const moved = (w: DnsWant | undefined, st: DnsState | undefined, zone?: Zone) => !!st && (!w || st.provider !== w.provider || (zone ? zone.id !== st.zoneId : !zoneMatches(w, st)))

/** `env plan`: the `+ / ~ / - / !` lines of what reconcile would do. `former`: the settings of the recorded provider. */
export async function dnsDrift(w: DnsWant | undefined, st: DnsState | undefined, former: AwsSettings | undefined): Promise<string[]> {
  const c = w ? await compute(w, st, 'drift', {}) : undefined
  const old = st && former && moved(w, st, c?.zone) ? await formerLines(st, former) : {lines: []}
  return [...(c?.lines ?? []), ...old.lines]
}

/**
 * Bring the records to the plan: one batch per zone, waited for until INSYNC. Returns the lines of what changed
 * and the new record of what dops owns (undefined: nothing). A record of the zone dops does not own that the plan
 * names is never changed: env up fails naming it, having changed nothing.
 */
export async function dnsReconcile(w: DnsWant | undefined, st: DnsState | undefined, former: AwsSettings | undefined, o: DnsOptions = {}): Promise<{lines: string[]; state: DnsState | undefined}> {
  const c = w ? await compute(w, st, 'apply', o) : undefined
  if (c?.conflicts.length && !o.groupsOnly) {
    throw new DopsError('PROVIDER_ERROR', `dns: zone ${c.zone.name} already has ${c.conflicts.join(', ')} (type A), not made by dops; nothing was changed: remove them from the zone or give the records other names`, {exitCode: ExitCode.PROVIDER_FAILED})
  }
  const lines: string[] = []
  let state = st
  if (w && c) {
    // new records are recorded (pending) before Route 53 hears of them, so a kill or a timeout leaves them dops's
    const sameRecord = !st || (st.provider === w.provider && st.zoneId === c.zone.id)
    if (c.created.length && o.save && sameRecord) {
      const known = new Set((st?.records ?? []).map(key))
      await o.save({provider: w.provider, zoneId: c.zone.id, zone: c.zone.name, records: [...(st?.records ?? []), ...c.created.filter((x) => !known.has(key(x)))]})
    }
    await applyChanges(route53(w.settings), c.zone.id, c.changes, dnsTimeout(w.settings), o.signal)
    lines.push(...c.lines)
    state = {provider: w.provider, zoneId: c.zone.id, zone: c.zone.name, records: c.next}
  }
  if (st && former && moved(w, st, c?.zone)) {
    const old = await formerLines(st, former)
    await applyChanges(route53(former), st.zoneId, old.changes, dnsTimeout(former), o.signal)
    lines.push(...old.lines)
    if (!w) state = undefined
  }
  return {lines, state: state && state.records.length ? state : undefined}
}

/**
 * `env down`: the records dops owns go (DELETE with their current values; those already gone are skipped). A record
 * whose values or alias target are no longer those dops recorded (changed by hand) is left: in `kept`.
 */
export async function dnsTeardown(st: DnsState, settings: AwsSettings, signal?: AbortSignal): Promise<{removed: string[]; kept: string[]}> {
  const old = await formerLines(st, settings)
  await applyChanges(route53(settings), st.zoneId, old.changes, dnsTimeout(settings), signal)
  return {removed: old.changes.map((c) => `record ${shown(c.set.name)} ${c.set.type}`), kept: old.kept}
}

/** Which of these records (once dops's) the zone still has as dops set them (one changed by hand is no longer dops's). */
export async function dnsLeftovers(st: DnsState, settings: AwsSettings): Promise<string[]> {
  const current = new Map((await listRecords(route53(settings), st.zoneId, 'empty')).filter((s) => !s.setIdentifier).map((s) => [key(s), s]))
  return st.records.filter((x) => current.has(key(x)) && matches(current.get(key(x))!, x)).map((x) => `record ${shown(x.name)} ${x.type} (zone ${st.zone})`)
}
