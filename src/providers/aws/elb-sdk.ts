/**
 * The ELBv2 side of the aws provider: its client (loaded on first use, one per region, endpoint and profile, like
 * sdk.ts), the provider context of one load balancer (its security group is `dops-<project>-<env>-lb.<name>`, a name
 * no group can have), lookups by the names of elb-names.ts (what a name finds is used only when its dops tags say it
 * is this environment's: else a clear refusal), and not-found errors told apart.
 */
import type {ResourceScope} from '../../env/resources.js'
import {lbProvider} from '../../env/load-balancers.js'
import type {LoadBalancerSpec} from '../../plan/types.js'
import type {ProviderContext} from '../types.js'
import {elbv2Client} from './clients.js'
import {foreignError, lbName, lbTags, tagMismatch, targetGroupName} from './elb-names.js'

export {foreignError}
import {fail, regionOf, sdk, settingsOf, type Sdk} from './sdk.js'

export type ElbModule = typeof import('@aws-sdk/client-elastic-load-balancing-v2')
export type LoadBalancer = import('@aws-sdk/client-elastic-load-balancing-v2').LoadBalancer
export type TargetGroup = import('@aws-sdk/client-elastic-load-balancing-v2').TargetGroup
export type Listener = import('@aws-sdk/client-elastic-load-balancing-v2').Listener

export interface Elb extends Sdk {
  elbm: ElbModule
  elb: import('@aws-sdk/client-elastic-load-balancing-v2').ElasticLoadBalancingV2Client
}

/** The EC2, Auto Scaling and ELBv2 clients for the load balancer's region, endpoint and profile. */
export async function elbSdk(ctx: ProviderContext): Promise<Elb> {
  const s = settingsOf(ctx)
  const {m, c} = elbv2Client({region: regionOf(ctx), endpoint: s.endpoint, profile: s.profile})
  return {...(await sdk(ctx)), elbm: m, elb: c}
}

/** The provider context of load balancer `lb` (made with the given provider's settings). */
export function lbCtx(s: ResourceScope, lb: string, settings: Record<string, unknown>): ProviderContext {
  return {project: s.loaded.plan.project, env: s.envName, group: `lb.${lb}`, projectDir: s.projectDir, spec: {}, settings}
}

/** The context of a load balancer of the plan, by its provider. */
export function planCtx(s: ResourceScope, lb: string, spec: LoadBalancerSpec): {ctx: ProviderContext; provider: string} {
  const p = lbProvider(s, lb, spec)
  return {ctx: lbCtx(s, lb, p.settings), provider: p.name}
}

export const lbOf = (ctx: ProviderContext) => ctx.group.slice(3)
export const lbNameOf = (ctx: ProviderContext) => lbName(ctx.project, ctx.env, lbOf(ctx))
/** A target group's two names: a port or protocol change makes the other one (both cannot exist at once in AWS). */
export const tgNames = (ctx: ProviderContext, tg: string): [string, string] => [targetGroupName(ctx.project, ctx.env, lbOf(ctx), tg), targetGroupName(ctx.project, ctx.env, lbOf(ctx), `${tg}.2`)]

const NOT_FOUND = new Set(['LoadBalancerNotFound', 'LoadBalancerNotFoundException', 'TargetGroupNotFound', 'TargetGroupNotFoundException', 'ListenerNotFound', 'ListenerNotFoundException', 'RuleNotFound', 'RuleNotFoundException', 'InvalidGroup.NotFound'])
export const notFound = (e: unknown) => NOT_FOUND.has((e as {name?: string}).name ?? '')

/** Run an SDK call; a not-found error is `undefined`, others fail naming the call. */
export async function orNone<T>(ctx: ProviderContext, what: string, call: Promise<T>): Promise<T | undefined> {
  try {
    return await call
  } catch (e) {
    if (notFound(e)) return undefined
    return fail(ctx, what, e)
  }
}

/** The tags of one ELBv2 resource. */
export async function tagsOf(ctx: ProviderContext, s: Elb, arn: string): Promise<Record<string, string>> {
  const r = await s.elb.send(new s.elbm.DescribeTagsCommand({ResourceArns: [arn]})).catch((e) => fail(ctx, 'DescribeTags', e))
  return Object.fromEntries((r.TagDescriptions?.[0]?.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']))
}

async function mustBeOwn(ctx: ProviderContext, s: Elb, arn: string, what: string, name: string, tg?: string): Promise<void> {
  const wrong = tagMismatch(lbTags(ctx.project, ctx.env, lbOf(ctx), tg), await tagsOf(ctx, s, arn))
  if (wrong.length) throw foreignError(what, name, wrong)
}

export async function findLb(ctx: ProviderContext, s: Elb): Promise<LoadBalancer | undefined> {
  const r = await orNone(ctx, 'DescribeLoadBalancers', s.elb.send(new s.elbm.DescribeLoadBalancersCommand({Names: [lbNameOf(ctx)]})))
  const lb = r?.LoadBalancers?.[0]
  if (lb) await mustBeOwn(ctx, s, lb.LoadBalancerArn!, `load balancer ${lbOf(ctx)}`, lbNameOf(ctx))
  return lb
}

/** The target group `tg` of the load balancer under each of its names (own, passing): both exist only mid-replacement. */
export async function findTgs(ctx: ProviderContext, s: Elb, tg: string): Promise<Array<TargetGroup | undefined>> {
  const out: Array<TargetGroup | undefined> = []
  for (const name of tgNames(ctx, tg)) {
    const r = await orNone(ctx, 'DescribeTargetGroups', s.elb.send(new s.elbm.DescribeTargetGroupsCommand({Names: [name]})))
    const found = r?.TargetGroups?.[0]
    if (found) await mustBeOwn(ctx, s, found.TargetGroupArn!, `target group ${lbOf(ctx)}/${tg}`, name, tg)
    out.push(found)
  }
  return out
}

/** The target group `tg` of the load balancer, under either of its names. */
export async function findTg(ctx: ProviderContext, s: Elb, tg: string): Promise<TargetGroup | undefined> {
  const [own, passing] = await findTgs(ctx, s, tg)
  return own ?? passing
}

export const MAX_PAGES = 50

/** Every page of a listing; more than MAX_PAGES is an error (dops does not decide what to delete from part of a list). */
export async function pages<T>(ctx: ProviderContext, what: string, call: (marker?: string) => Promise<{items: T[]; next?: string}>): Promise<T[]> {
  const out: T[] = []
  let marker: string | undefined
  for (let page = 0; page < MAX_PAGES; page++) {
    const r = await call(marker).catch((e) => fail(ctx, what, e))
    out.push(...r.items)
    marker = r.next
    if (!marker) return out
  }
  return fail(ctx, what, new Error(`more than ${MAX_PAGES} pages of results; stopped rather than act on part of the list`))
}

export const awsTags = (t: Record<string, string>) => Object.entries(t).map(([Key, Value]) => ({Key, Value}))

/** ARNs among `arns` whose tags say they are the environment's (dops:project, dops:env); by 20s, as the API takes. */
export async function ownArns(ctx: ProviderContext, s: Elb, arns: string[]): Promise<Array<{arn: string; tags: Record<string, string>}>> {
  const out: Array<{arn: string; tags: Record<string, string>}> = []
  for (let i = 0; i < arns.length; i += 20) {
    const r = await s.elb.send(new s.elbm.DescribeTagsCommand({ResourceArns: arns.slice(i, i + 20)})).catch((e) => fail(ctx, 'DescribeTags', e))
    for (const d of r.TagDescriptions ?? []) {
      const tags = Object.fromEntries((d.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']))
      if (tags['dops:project'] === ctx.project && tags['dops:env'] === ctx.env && tags['dops:lb']) out.push({arn: d.ResourceArn!, tags})
    }
  }
  return out
}
