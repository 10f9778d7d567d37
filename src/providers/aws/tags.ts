/**
 * The plan's `tags` kept in place on what carries them: the group's instances and its Auto Scaling group (whose
 * tags are propagated at launch); a launch template gets them with a new version (template.ts). Which user tags dops
 * set is recorded on each resource in its own tag `dops:tags` (the keys, comma-separated; `dops:tags:2`, ... when
 * longer than a tag value may be): a key the plan no longer has is removed only when dops set it; tags dops did not
 * set (another tool's, the console's) and dops's identity tags `dops:*` are never removed. `Name` is dops's when the
 * plan gives none (`dops-<project>-<env>-<group>`), so removing it from the plan sets it back to that.
 */
import type {ProviderContext} from '../types.js'
import {fail, nameOf, tagKeys, type Sdk, type Spec} from './sdk.js'

export type Tag = {Key: string; Value: string}

const RECORD = 'dops:tags'
const isRecord = (k: string) => k === RECORD || /^dops:tags:\d+$/.test(k)

/** The record of the user's keys as tags (each value at most 256 characters; EC2 allows no comma in a tag key). */
function recordTags(keys: string[]): Tag[] {
  const out: string[] = []
  for (const k of [...keys].sort()) {
    const last = out.length - 1
    if (last >= 0 && out[last]!.length + 1 + k.length <= 256) out[last] += `,${k}`
    else out.push(k)
  }
  return (out.length ? out : ['']).map((Value, i) => ({Key: i ? `${RECORD}:${i + 1}` : RECORD, Value}))
}

/** The keys of the user's tags that dops set on a resource, from its record (none when it has no record). */
export function recordedKeys(tags: Array<{Key?: string; Value?: string}>): string[] {
  const parts = tags.filter((t) => t.Key && isRecord(t.Key)).sort((a, b) => (a.Key === RECORD ? -1 : b.Key === RECORD ? 1 : Number(a.Key!.split(':')[2]) - Number(b.Key!.split(':')[2])))
  return parts.flatMap((t) => String(t.Value ?? '').split(',')).filter(Boolean)
}

/** The tags a resource of the group carries: the default Name, the plan's (a user Name kept), dops's identity and record. */
export function instanceTags(ctx: ProviderContext, spec: Spec): Tag[] {
  const user = Object.fromEntries(Object.entries(spec.tags ?? {}).map(([k, v]) => [k, String(v)]))
  return [...Object.entries({Name: nameOf(ctx), ...user, ...tagKeys(ctx)}).map(([Key, Value]) => ({Key, Value})), ...recordTags(Object.keys(user))]
}

export interface TagChange {
  set: Tag[]
  remove: string[]
  /** what a user sees changed: `+k=v`, `k: a -> b`, `-k` (dops's record is kept silently once it exists) */
  lines: string[]
}

/** What must change on a resource whose tags are `current` for it to carry the plan's. */
export function tagChange(ctx: ProviderContext, spec: Spec, current: Array<{Key?: string; Value?: string}>): TagChange {
  const want = instanceTags(ctx, spec)
  const have = new Map(current.filter((t) => t.Key).map((t) => [t.Key!, t.Value ?? '']))
  const set = want.filter((t) => have.get(t.Key) !== t.Value)
  const wanted = new Set(want.map((t) => t.Key))
  const stale = current.map((t) => t.Key!).filter((k) => k && isRecord(k) && !wanted.has(k))
  const remove = [...new Set([...recordedKeys(current).filter((k) => have.has(k) && !wanted.has(k) && !k.startsWith('dops:')), ...stale])]
  // a resource without a record (made by an older dops) gets one: shown once, as the keys dops now answers for
  const hadRecord = current.some((t) => t.Key && isRecord(t.Key))
  const lines = [
    ...set.filter((t) => !hadRecord || !isRecord(t.Key)).map((t) => (have.has(t.Key) ? `${t.Key}: ${have.get(t.Key)} -> ${t.Value}` : `+${t.Key}=${t.Value}`)),
    ...remove.filter((k) => !isRecord(k)).map((k) => `-${k}`),
  ]
  return {set, remove, lines}
}

/** Lines `tag X (on N instance(s), the auto scaling group)` from the changes of each resource, the same change once. */
export function tagLines(changes: Array<{what: 'instance' | 'asg'; change: TagChange}>): string[] {
  const by = new Map<string, {instances: number; asg: boolean}>()
  for (const {what, change} of changes)
    for (const l of change.lines) {
      const e = by.get(l) ?? {instances: 0, asg: false}
      if (what === 'asg') e.asg = true
      else e.instances++
      by.set(l, e)
    }
  return [...by.entries()].map(([l, e]) => `tag ${l} (on ${[e.instances ? `${e.instances} instance(s)` : '', e.asg ? 'the auto scaling group' : ''].filter(Boolean).join(', ')})`)
}

/** Apply a change to instances (one call per distinct change, up to 1000 ids each). */
export async function applyToInstances(ctx: ProviderContext, s: Sdk, byChange: Array<{id: string; change: TagChange}>): Promise<void> {
  const groups = new Map<string, {change: TagChange; ids: string[]}>()
  for (const {id, change} of byChange) {
    const key = JSON.stringify([change.set, change.remove])
    groups.set(key, {change, ids: [...(groups.get(key)?.ids ?? []), id]})
  }
  for (const {change, ids} of groups.values())
    for (let i = 0; i < ids.length; i += 1000) {
      const Resources = ids.slice(i, i + 1000)
      if (change.set.length) await s.ec2.send(new s.ec2m.CreateTagsCommand({Resources, Tags: change.set})).catch((e) => fail(ctx, 'CreateTags', e))
      if (change.remove.length) await s.ec2.send(new s.ec2m.DeleteTagsCommand({Resources, Tags: change.remove.map((Key) => ({Key}))})).catch((e) => fail(ctx, 'DeleteTags', e))
    }
}

/** Apply a change to the Auto Scaling group's tags (propagated at launch). */
export async function applyToAsg(ctx: ProviderContext, s: Sdk, name: string, change: TagChange): Promise<void> {
  const tag = (Key: string, Value?: string) => ({ResourceId: name, ResourceType: 'auto-scaling-group', Key, ...(Value !== undefined ? {Value, PropagateAtLaunch: true} : {})})
  if (change.set.length) await s.asg.send(new s.asgm.CreateOrUpdateTagsCommand({Tags: change.set.map((t) => tag(t.Key, t.Value))})).catch((e) => fail(ctx, 'CreateOrUpdateTags', e))
  if (change.remove.length) await s.asg.send(new s.asgm.DeleteTagsCommand({Tags: change.remove.map((k) => tag(k))})).catch((e) => fail(ctx, 'DeleteTags', e))
}
