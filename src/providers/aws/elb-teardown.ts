/**
 * Removing what dops made for an environment's load balancers, in the order ELBv2 allows: the load balancers (their
 * listeners and rules go with them; waited for until gone), then the target groups (detached from Auto Scaling
 * groups first), then their security groups. What is removed is found by the state's records and by the tags dops
 * puts on everything (dops:project, dops:env, dops:lb), so a lost state still leaves nothing behind. Not-found is gone.
 */
import {DopsError, ExitCode} from '../../errors.js'
import type {ProviderContext} from '../types.js'
import {notFound, ownArns, pages, type Elb} from './elb-sdk.js'
import {deleteTgs} from './elb-tg.js'
import {fail, sleep, waitSeconds} from './sdk.js'
import {deleteSecurityGroup} from './teardown.js'

export interface LbFound {
  lbs: Array<{arn: string; lb: string}>
  tgs: Array<{arn: string; lb: string; tg: string}>
  sgs: Array<{id: string; name: string}>
}

/** What carries the environment's tags (of load balancer `lb` only, when given), in the context's region. */
export async function discoverLbs(ctx: ProviderContext, s: Elb, lb?: string): Promise<LbFound> {
  const lbArns = await pages(ctx, 'DescribeLoadBalancers', async (Marker) => {
    const r = await s.elb.send(new s.elbm.DescribeLoadBalancersCommand({Marker}))
    return {items: (r.LoadBalancers ?? []).map((x) => x.LoadBalancerArn!), next: r.NextMarker}
  })
  const tgArns = await pages(ctx, 'DescribeTargetGroups', async (Marker) => {
    const r = await s.elb.send(new s.elbm.DescribeTargetGroupsCommand({Marker}))
    return {items: (r.TargetGroups ?? []).map((x) => x.TargetGroupArn!), next: r.NextMarker}
  })
  const keep = (o: {tags: Record<string, string>}) => !lb || o.tags['dops:lb'] === lb
  const sgs = await s.ec2
    .send(new s.ec2m.DescribeSecurityGroupsCommand({Filters: [{Name: 'tag:dops:project', Values: [ctx.project]}, {Name: 'tag:dops:env', Values: [ctx.env]}, lb ? {Name: 'tag:dops:lb', Values: [lb]} : {Name: 'tag-key', Values: ['dops:lb']}]}))
    .catch((e) => fail(ctx, 'DescribeSecurityGroups', e))
  return {
    lbs: (await ownArns(ctx, s, lbArns)).filter(keep).map((o) => ({arn: o.arn, lb: o.tags['dops:lb']!})),
    tgs: (await ownArns(ctx, s, tgArns)).filter(keep).map((o) => ({arn: o.arn, lb: o.tags['dops:lb']!, tg: o.tags['dops:tg'] ?? '?'})),
    sgs: (sgs.SecurityGroups ?? []).map((g) => ({id: g.GroupId!, name: g.GroupName!})),
  }
}

/** Delete a load balancer (its listeners go with it) and wait until ELBv2 no longer has it (deleteTimeout). */
export async function removeLb(ctx: ProviderContext, s: Elb, arn: string): Promise<void> {
  await s.elb.send(new s.elbm.DeleteLoadBalancerCommand({LoadBalancerArn: arn})).catch((e) => notFound(e) || fail(ctx, 'DeleteLoadBalancer', e))
  const deadline = Date.now() + waitSeconds(ctx, 'delete') * 1000
  for (let i = 0; i < 10_000; i++) {
    const r = await s.elb.send(new s.elbm.DescribeLoadBalancersCommand({LoadBalancerArns: [arn]})).catch((e) => (notFound(e) ? {LoadBalancers: []} : fail(ctx, 'DescribeLoadBalancers', e)))
    if (!r.LoadBalancers?.length) return
    if (Date.now() >= deadline) throw new DopsError('PROVIDER_ERROR', `aws: load balancer ${arn} was not deleted within the deleteTimeout; run again`, {exitCode: ExitCode.PROVIDER_FAILED})
    await sleep(Math.min(2000, 250 * 2 ** i))
  }
}

/** Everything found (plus the recorded ARNs, which are dops's by its own record): load balancers, target groups, security groups. */
export async function removeFound(ctx: ProviderContext, s: Elb, found: LbFound, recorded: {lbs: string[]; tgs: string[]; sgs: string[]} = {lbs: [], tgs: [], sgs: []}): Promise<string[]> {
  const removed: string[] = []
  for (const arn of new Set([...found.lbs.map((x) => x.arn), ...recorded.lbs])) {
    await removeLb(ctx, s, arn)
    removed.push(`load balancer ${found.lbs.find((x) => x.arn === arn)?.lb ?? arn}`)
  }
  const tgs = [...new Set([...found.tgs.map((x) => x.arn), ...recorded.tgs])]
  await deleteTgs(ctx, s, tgs)
  removed.push(...tgs.map((arn) => {
    const t = found.tgs.find((x) => x.arn === arn)
    return `target group ${t ? `${t.lb}/${t.tg}` : arn}`
  }))
  const deadline = Date.now() + waitSeconds(ctx, 'delete') * 1000
  for (const id of new Set([...found.sgs.map((g) => g.id), ...recorded.sgs])) {
    await deleteSecurityGroup(ctx, s, id, deadline)
    removed.push(`security group ${id} (${found.sgs.find((g) => g.id === id)?.name ?? 'load balancer'})`)
  }
  return removed
}

export const describeFound = (f: LbFound): string[] => [...f.lbs.map((x) => `load balancer ${x.lb} (${x.arn})`), ...f.tgs.map((x) => `target group ${x.lb}/${x.tg} (${x.arn})`), ...f.sgs.map((g) => `security group ${g.id} (${g.name})`)]
