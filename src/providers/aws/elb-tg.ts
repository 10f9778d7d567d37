/**
 * A load balancer's target groups brought to the plan: made (health check and deregistration delay set, tagged with
 * the load balancer's identity), health checks modified in place, and a port or protocol change made as a new target
 * group (AWS cannot modify those): one under a passing name takes the group's hosts and the listeners, the old one
 * goes, then one under the target group's own name (elb-names.ts, what deploys look it up by) takes them back and
 * the passing one goes. A group with an Auto Scaling group has it attached to the target group (AWS registers its
 * instances); others' ready hosts are registered by followTargets (and here, into a replacement).
 */
import type {LoadBalancerSpec} from '../../plan/types.js'
import type {ProviderContext} from '../types.js'
import {desiredTg, healthDiff, healthParams, mustReplace, type DesiredTg} from './elb-desired.js'
import {lbTags} from './elb-names.js'
import {awsTags, findTgs, lbOf, pages, tgNames, type Elb, type TargetGroup} from './elb-sdk.js'
import {fail, nameOf} from './sdk.js'
import {forgetTargetGroupArns} from './targets-api.js'

export interface TgOutcome {
  lines: string[]
  /** each target group's ARN (`(new)` when planning one that does not exist yet) */
  arns: Record<string, string>
  /** planning: target groups a replacement would delete itself (not shown again as removed) */
  replacing: string[]
}

/** What a target group needs of the environment: its load balancer (when made) and a group's ready instance ids. */
export interface TgScope {
  lbArn?: string
  groups: Record<string, Record<string, unknown>>
  readyIds(group: string): string[]
}

async function delayOf(ctx: ProviderContext, s: Elb, arn: string): Promise<number> {
  const r = await s.elb.send(new s.elbm.DescribeTargetGroupAttributesCommand({TargetGroupArn: arn})).catch((e) => fail(ctx, 'DescribeTargetGroupAttributes', e))
  return Number(r.Attributes?.find((a) => a.Key === 'deregistration_delay.timeout_seconds')?.Value ?? 300)
}

async function setDelay(ctx: ProviderContext, s: Elb, arn: string, delay: number): Promise<void> {
  await s.elb.send(new s.elbm.ModifyTargetGroupAttributesCommand({TargetGroupArn: arn, Attributes: [{Key: 'deregistration_delay.timeout_seconds', Value: String(delay)}]})).catch((e) => fail(ctx, 'ModifyTargetGroupAttributes', e))
}

async function create(ctx: ProviderContext, s: Elb, name: string, want: DesiredTg, vpc: string): Promise<string> {
  const r = await s.elb
    .send(new s.elbm.CreateTargetGroupCommand({Name: name, Protocol: want.protocol, Port: want.port, VpcId: vpc, TargetType: 'instance', HealthCheckEnabled: true, ...healthParams(want.health), Tags: awsTags(lbTags(ctx.project, ctx.env, lbOf(ctx), want.key))}))
    .catch((e) => fail(ctx, `CreateTargetGroup ${name}`, e))
  const arn = r.TargetGroups![0]!.TargetGroupArn!
  if (want.delay !== 300) await setDelay(ctx, s, arn, want.delay)
  return arn
}

/** The group's Auto Scaling group, when the plan gives it one and it exists: its name and attached target groups. */
async function asgOf(ctx: ProviderContext, s: Elb, group: string, groupSpec: Record<string, unknown> | undefined): Promise<{name: string; exists: boolean; attached: string[]} | undefined> {
  if (!(groupSpec?.instance as {autoScaling?: unknown} | undefined)?.autoScaling) return undefined
  const name = nameOf(ctx, group)
  const r = await s.asg.send(new s.asgm.DescribeAutoScalingGroupsCommand({AutoScalingGroupNames: [name]})).catch((e) => fail(ctx, 'DescribeAutoScalingGroups', e))
  const g = r.AutoScalingGroups?.[0]
  return {name, exists: !!g, attached: g?.TargetGroupARNs ?? []}
}

export async function detachFromAsg(ctx: ProviderContext, s: Elb, asg: string, arn: string): Promise<void> {
  await s.asg.send(new s.asgm.DetachLoadBalancerTargetGroupsCommand({AutoScalingGroupName: asg, TargetGroupARNs: [arn]})).catch((e) => fail(ctx, 'DetachLoadBalancerTargetGroups', e))
}

/** Every listener and rule of the load balancer that forwards to `from` forwards to `to` instead. */
async function repoint(ctx: ProviderContext, s: Elb, lbArn: string | undefined, from: string, to: string): Promise<void> {
  if (!lbArn) return
  const fwd = [{Type: 'forward' as const, TargetGroupArn: to}]
  const ls = (await s.elb.send(new s.elbm.DescribeListenersCommand({LoadBalancerArn: lbArn})).catch((e) => fail(ctx, 'DescribeListeners', e))).Listeners ?? []
  for (const l of ls) {
    if (l.DefaultActions?.some((a) => a.TargetGroupArn === from)) await s.elb.send(new s.elbm.ModifyListenerCommand({ListenerArn: l.ListenerArn, DefaultActions: fwd})).catch((e) => fail(ctx, 'ModifyListener', e))
    const rules = (await s.elb.send(new s.elbm.DescribeRulesCommand({ListenerArn: l.ListenerArn})).catch((e) => fail(ctx, 'DescribeRules', e))).Rules ?? []
    for (const r of rules) if (!r.IsDefault && r.Actions?.some((a) => a.TargetGroupArn === from)) await s.elb.send(new s.elbm.ModifyRuleCommand({RuleArn: r.RuleArn, Actions: fwd})).catch((e) => fail(ctx, 'ModifyRule', e))
  }
}

/** A new target group's members: its group's Auto Scaling group attached, else the group's ready instances registered. */
async function populate(ctx: ProviderContext, s: Elb, arn: string, group: string, t: TgScope): Promise<void> {
  const asg = await asgOf(ctx, s, group, t.groups[group])
  if (asg?.exists) await s.asg.send(new s.asgm.AttachLoadBalancerTargetGroupsCommand({AutoScalingGroupName: asg.name, TargetGroupARNs: [arn]})).catch((e) => fail(ctx, 'AttachLoadBalancerTargetGroups', e))
  else if (!asg) {
    const ids = t.readyIds(group)
    for (let i = 0; i < ids.length; i += 20) await s.elb.send(new s.elbm.RegisterTargetsCommand({TargetGroupArn: arn, Targets: ids.slice(i, i + 20).map((Id) => ({Id}))})).catch((e) => fail(ctx, 'RegisterTargets', e))
  }
}

/** Replace target group `cur` (port or protocol changed) without a moment where the listeners forward nowhere. */
async function replace(ctx: ProviderContext, s: Elb, cur: TargetGroup, want: DesiredTg, vpc: string, t: TgScope): Promise<string> {
  const [own, passing] = tgNames(ctx, want.key)
  let from = cur.TargetGroupArn!
  if (cur.TargetGroupName === own) {
    const tmp = await create(ctx, s, passing, want, vpc)
    await populate(ctx, s, tmp, want.group, t)
    await repoint(ctx, s, t.lbArn, from, tmp)
    await deleteTgs(ctx, s, [from])
    from = tmp
  }
  const arn = await create(ctx, s, own, want, vpc)
  await populate(ctx, s, arn, want.group, t)
  await repoint(ctx, s, t.lbArn, from, arn)
  await deleteTgs(ctx, s, [from])
  return arn
}

/**
 * Every target group of the load balancer to the plan (`apply`: changed; else only said). `groups`: the
 * environment's group specs (for Auto Scaling). Target groups the plan no longer has are the listeners' step's to
 * retire (see retireTgs), once nothing forwards to them.
 */
export async function convergeTgs(ctx: ProviderContext, s: Elb, lb: string, spec: LoadBalancerSpec, vpc: string | undefined, t: TgScope, apply: boolean): Promise<TgOutcome> {
  const groups = t.groups
  const out: TgOutcome = {lines: [], arns: {}, replacing: []}
  for (const [key, tgSpec] of Object.entries(spec.targetGroups ?? {})) {
    const want = desiredTg(spec, key, tgSpec)
    const [own, passing] = await findTgs(ctx, s, key)
    const what = `target group ${lb}/${key}`
    if (own && passing) {
      // a replacement interrupted after the group under its own name was made: the listeners move back to it
      out.lines.push(`~ ${what}: finishing an interrupted replacement (the listeners move from ${passing.TargetGroupName} to ${own.TargetGroupName}, which is deleted)`)
      if (apply) {
        await repoint(ctx, s, t.lbArn, passing.TargetGroupArn!, own.TargetGroupArn!)
        await deleteTgs(ctx, s, [passing.TargetGroupArn!])
      } else out.replacing.push(passing.TargetGroupArn!)
    }
    const cur: TargetGroup | undefined = own ?? passing
    let arn = cur?.TargetGroupArn
    if (!cur) {
      out.lines.push(`+ ${what} (${want.protocol}:${want.port}, group ${want.group})`)
      arn = apply ? await create(ctx, s, tgNames(ctx, key)[0], want, vpc!) : '(new)'
    } else if (mustReplace(want, cur) || !own) {
      // !own: a replacement interrupted while only the passing group existed (deploys look the group up by its own name)
      out.lines.push(mustReplace(want, cur) ? `~ ${what}: ${cur.Protocol}:${cur.Port} -> ${want.protocol}:${want.port} (a new target group; the listeners move to it, the old one is deleted)` : `~ ${what}: finishing an interrupted replacement (${cur.TargetGroupName} moves back to ${tgNames(ctx, key)[0]})`)
      if (!apply) {
        out.replacing.push(arn!)
        arn = '(new)'
      } else {
        arn = await replace(ctx, s, cur, want, vpc ?? cur.VpcId!, t)
        out.arns[key] = arn
        continue
      }
    } else {
      const changes = healthDiff(want.health, cur)
      const delay = await delayOf(ctx, s, arn!)
      if (delay !== want.delay) changes.push(`deregistration delay ${delay}s -> ${want.delay}s`)
      if (changes.length) out.lines.push(`~ ${what}: ${changes.join(', ')}`)
      if (apply && changes.some((c) => c.startsWith('health check'))) await s.elb.send(new s.elbm.ModifyTargetGroupCommand({TargetGroupArn: arn, HealthCheckEnabled: true, ...healthParams(want.health)})).catch((e) => fail(ctx, 'ModifyTargetGroup', e))
      if (apply && delay !== want.delay) await setDelay(ctx, s, arn!, want.delay)
    }
    out.arns[key] = arn!
    // an Auto Scaling group is attached to its target group (and detached from the one a replacement retires)
    const asg = await asgOf(ctx, s, want.group, groups[want.group])
    if (asg && (!asg.exists || !asg.attached.includes(arn!))) {
      if (!asg.exists && apply) continue
      out.lines.push(`+ auto scaling group ${asg.name} attached to ${what}`)
      if (apply) await s.asg.send(new s.asgm.AttachLoadBalancerTargetGroupsCommand({AutoScalingGroupName: asg.name, TargetGroupARNs: [arn!]})).catch((e) => fail(ctx, 'AttachLoadBalancerTargetGroups', e))
    }
  }
  return out
}

/** Delete target groups (detached first from the environment's Auto Scaling groups); not-found ones are gone already. */
export async function deleteTgs(ctx: ProviderContext, s: Elb, arns: string[]): Promise<void> {
  if (!arns.length) return
  // a deploy later in this run must not find a deleted group in the cache of target registration
  forgetTargetGroupArns(arns)
  const asgs = await pages(ctx, 'DescribeAutoScalingGroups', async (NextToken) => {
    const r = await s.asg.send(new s.asgm.DescribeAutoScalingGroupsCommand({Filters: [{Name: 'tag:dops:project', Values: [ctx.project]}, {Name: 'tag:dops:env', Values: [ctx.env]}], NextToken}))
    return {items: r.AutoScalingGroups ?? [], next: r.NextToken}
  })
  for (const g of asgs) for (const arn of arns) if (g.TargetGroupARNs?.includes(arn)) await detachFromAsg(ctx, s, g.AutoScalingGroupName!, arn)
  for (const arn of arns) {
    await s.elb.send(new s.elbm.DeleteTargetGroupCommand({TargetGroupArn: arn})).catch((e: {name?: string}) => /TargetGroupNotFound/.test(String(e.name)) || fail(ctx, 'DeleteTargetGroup', e))
  }
  forgetTargetGroupArns(arns)
}
