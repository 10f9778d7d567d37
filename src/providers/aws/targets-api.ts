/**
 * The ELBv2 calls behind target registration: the client (loaded on first use, one per region, endpoint and profile),
 * a target group found by its dops name (cached for the run), what DescribeTargetHealth says of instances, and
 * register/deregister (InvalidTarget on deregister: the target is already out).
 */
import {DopsError, ExitCode} from '../../errors.js'
import {elbv2Client, type ClientSettings, type Elbv2} from './clients.js'
import {foreignError, tagMismatch} from './elb-names.js'

export type ElbApi = Elbv2
export type ElbSettings = ClientSettings

export const elbApi = (settings: ElbSettings): ElbApi => elbv2Client(settings)

/** An API failure as a provider error naming what was being done. */
export function elbError(what: string, e: unknown): DopsError {
  const err = e as {name?: string; message?: string}
  return new DopsError('PROVIDER_ERROR', `aws: ${what} failed: ${err.name ?? 'Error'}: ${String(err.message ?? e).split('\n')[0]}`, {exitCode: ExitCode.PROVIDER_FAILED})
}

export interface FoundTargetGroup {
  arn: string
  name: string
  port?: number
}

const groups = new Map<string, FoundTargetGroup>()

/**
 * The target group named `name` (elb-names.ts), or undefined when there is none (yet); found ones are cached for the
 * run. With `want` (its dops tags), one whose tags differ is refused (an error naming it), never used.
 */
export async function findTargetGroup(api: ElbApi, name: string, want?: Record<string, string>): Promise<FoundTargetGroup | undefined> {
  const key = `${api.where} ${name}`
  const hit = groups.get(key)
  if (hit) return hit
  try {
    const r = await api.c.send(new api.m.DescribeTargetGroupsCommand({Names: [name]}))
    const tg = r.TargetGroups?.[0]
    if (!tg?.TargetGroupArn) return undefined
    if (want) {
      const t = await api.c.send(new api.m.DescribeTagsCommand({ResourceArns: [tg.TargetGroupArn]}))
      const wrong = tagMismatch(want, Object.fromEntries((t.TagDescriptions?.[0]?.Tags ?? []).map((x) => [x.Key ?? '', x.Value ?? ''])))
      if (wrong.length) throw foreignError(`target group ${want['dops:lb'] ?? ''}/${want['dops:tg'] ?? ''}`, name, wrong)
    }
    const found = {arn: tg.TargetGroupArn, name, port: tg.Port}
    groups.set(key, found)
    return found
  } catch (e) {
    if (e instanceof DopsError) throw e
    if ((e as {name?: string}).name === 'TargetGroupNotFoundException' || (e as {name?: string}).name === 'TargetGroupNotFound') return undefined
    throw elbError(`finding target group ${name}`, e)
  }
}

/** Forget every cached target group with one of these ARNs (deleted, or replaced by env up's resources step). */
export function forgetTargetGroupArns(arns: string[]): void {
  for (const [key, tg] of groups) if (arns.includes(tg.arn)) groups.delete(key)
}

/** Forget a cached target group (it was deleted, or a call said it is gone). */
export function forgetTargetGroup(api: ElbApi, name: string): void {
  groups.delete(`${api.where} ${name}`)
}

export interface TargetHealthOf {
  state: string
  reason?: string
  description?: string
}

/** Every target DescribeTargetHealth lists for the group, by instance id (draining ones included when listed). */
export async function targetHealth(api: ElbApi, tg: FoundTargetGroup): Promise<Map<string, TargetHealthOf>> {
  const r = await api.c.send(new api.m.DescribeTargetHealthCommand({TargetGroupArn: tg.arn})).catch((e: unknown) => {
    throw elbError(`DescribeTargetHealth of target group ${tg.name}`, e)
  })
  return healthMap(r.TargetHealthDescriptions ?? [])
}

/** What DescribeTargetHealth says of one instance (asked by id: a target not registered is `unused`). */
export async function healthOf(api: ElbApi, tg: FoundTargetGroup, id: string): Promise<TargetHealthOf> {
  const r = await api.c.send(new api.m.DescribeTargetHealthCommand({TargetGroupArn: tg.arn, Targets: [{Id: id}]})).catch((e: unknown) => {
    if ((e as {name?: string}).name === 'InvalidTargetException' || (e as {name?: string}).name === 'InvalidTarget') return {TargetHealthDescriptions: []}
    throw elbError(`DescribeTargetHealth of ${id} in target group ${tg.name}`, e)
  })
  return healthMap(r.TargetHealthDescriptions ?? []).get(id) ?? {state: 'absent'}
}

type Described = Array<{Target?: {Id?: string}; TargetHealth?: {State?: string; Reason?: string; Description?: string}}>
function healthMap(list: Described): Map<string, TargetHealthOf> {
  const out = new Map<string, TargetHealthOf>()
  for (const d of list) {
    if (!d.Target?.Id) continue
    out.set(d.Target.Id, {state: d.TargetHealth?.State ?? 'unknown', ...(d.TargetHealth?.Reason ? {reason: d.TargetHealth.Reason} : {}), ...(d.TargetHealth?.Description ? {description: d.TargetHealth.Description} : {})})
  }
  return out
}

export async function registerTargets(api: ElbApi, tg: FoundTargetGroup, ids: string[]): Promise<void> {
  if (!ids.length) return
  await api.c.send(new api.m.RegisterTargetsCommand({TargetGroupArn: tg.arn, Targets: ids.map((Id) => ({Id}))})).catch((e: unknown) => {
    throw elbError(`registering ${ids.join(', ')} in target group ${tg.name}`, e)
  })
}

/** Deregister; InvalidTarget (the target is not there) means it is already out. */
export async function deregisterTargets(api: ElbApi, tg: FoundTargetGroup, ids: string[]): Promise<void> {
  if (!ids.length) return
  await api.c.send(new api.m.DeregisterTargetsCommand({TargetGroupArn: tg.arn, Targets: ids.map((Id) => ({Id}))})).catch(async (e: unknown) => {
    const name = (e as {name?: string}).name
    if (name !== 'InvalidTargetException' && name !== 'InvalidTarget') throw elbError(`deregistering ${ids.join(', ')} from target group ${tg.name}`, e)
    // one of several may be gone: the others are deregistered one by one
    if (ids.length > 1) for (const id of ids) await deregisterTargets(api, tg, [id])
  })
}
