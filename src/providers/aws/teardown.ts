/**
 * Taking things down, in the order EC2 allows and each bounded by `deleteTimeout` (default 10m): an Auto Scaling
 * group (force: its instances go with it; waited for until it and they are gone), instances (terminated, waited for
 * with the SDK's waiter), launch templates, then security groups (their cross-references revoked first; a
 * DependencyViolation while network interfaces go is retried). `env down` then checks that nothing tagged for the
 * environment remains, and fails naming what does.
 */
import {DopsError, ExitCode} from '../../errors.js'
import type {InstanceState} from '../../state/local-file.js'
import type {ProviderContext} from '../types.js'
import {describe, NOT_GONE, terminated} from './instances.js'
import {envFilters, fail, nameOf, sleep, waitSeconds, type Sdk, type Spec} from './sdk.js'

const gone = (e: {name?: string}) => /NotFound|MissingParameter/.test(String(e.name))
const deadlineOf = (ctx: ProviderContext) => Date.now() + waitSeconds(ctx, 'delete') * 1000

type AsgInfo = import('@aws-sdk/client-auto-scaling').AutoScalingGroup

export async function findAsgs(ctx: ProviderContext, s: Sdk, names?: string[]): Promise<AsgInfo[]> {
  const out: AsgInfo[] = []
  let token: string | undefined
  for (let page = 0; page < 100; page++) {
    const r = await s.asg.send(new s.asgm.DescribeAutoScalingGroupsCommand(names ? {AutoScalingGroupNames: names, NextToken: token} : {Filters: envFilters(ctx), NextToken: token})).catch((e) => fail(ctx, 'DescribeAutoScalingGroups', e))
    out.push(...(r.AutoScalingGroups ?? []))
    token = r.NextToken
    if (!token) break
  }
  return out
}

/** Delete an Auto Scaling group with its instances (ForceDelete) and wait until both are gone. */
export async function deleteAsg(ctx: ProviderContext, s: Sdk, g: AsgInfo): Promise<string[]> {
  const name = g.AutoScalingGroupName!
  const ids = (g.Instances ?? []).map((i) => i.InstanceId!)
  await s.asg.send(new s.asgm.DeleteAutoScalingGroupCommand({AutoScalingGroupName: name, ForceDelete: true})).catch((e: {name?: string; message?: string}) => {
    if (!(e.name === 'ValidationError' && /not found|does not exist/i.test(String(e.message)))) fail(ctx, 'DeleteAutoScalingGroup', e)
  })
  const deadline = deadlineOf(ctx)
  for (let i = 0; Date.now() < deadline && i < 10_000; i++) {
    if (!(await findAsgs(ctx, s, [name])).length) break
    await sleep(Math.min(2000, 250 * 2 ** i))
  }
  await terminated(ctx, s, ids)
  return [`auto scaling group ${name}`, ...ids.map((id) => `instance ${id}`)]
}

async function launchTemplates(ctx: ProviderContext, s: Sdk, name?: string): Promise<string[]> {
  const r = await s.ec2.send(new s.ec2m.DescribeLaunchTemplatesCommand(name ? {LaunchTemplateNames: [name]} : {Filters: envFilters(ctx)})).catch((e: {name?: string}) => (gone(e) ? {LaunchTemplates: []} : fail(ctx, 'DescribeLaunchTemplates', e)))
  return (r.LaunchTemplates ?? []).map((t) => t.LaunchTemplateName!)
}

async function deleteLaunchTemplate(ctx: ProviderContext, s: Sdk, name: string): Promise<string[]> {
  await s.ec2.send(new s.ec2m.DeleteLaunchTemplateCommand({LaunchTemplateName: name})).catch((e: {name?: string}) => gone(e) || fail(ctx, 'DeleteLaunchTemplate', e))
  return [`launch template ${name}`]
}

/** Delete a security group, retrying while EC2 says it is still in use (DependencyViolation), until the deadline. */
export async function deleteSecurityGroup(ctx: ProviderContext, s: Sdk, id: string, deadline = deadlineOf(ctx)): Promise<string[]> {
  for (let i = 0; i < 10_000; i++) {
    const err = await s.ec2.send(new s.ec2m.DeleteSecurityGroupCommand({GroupId: id})).then(
      () => undefined,
      (e: {name?: string}) => e,
    )
    if (!err || gone(err)) return [`security group ${id}`]
    if (err.name !== 'DependencyViolation' || Date.now() >= deadline) fail(ctx, `DeleteSecurityGroup ${id}`, err)
    await sleep(Math.min(5000, 500 * 2 ** i, Math.max(0, deadline - Date.now())))
  }
  return []
}

/**
 * Remove these instances of the group. The last ones of an Auto Scaling group take the group and its launch template
 * with them; the group's security group goes with its last instance (after they are terminated).
 */
export async function destroyInstances(ctx: ProviderContext, s: Sdk, instances: InstanceState[]): Promise<string[]> {
  const spec = ctx.spec as Spec
  const removed: string[] = []
  let ids = instances.map((i) => i.id)
  if (spec.autoScaling) {
    const [g] = await findAsgs(ctx, s, [nameOf(ctx)])
    const members = (g?.Instances ?? []).map((m) => m.InstanceId!)
    if (g && members.every((m) => ids.includes(m))) {
      removed.push(...(await deleteAsg(ctx, s, g)))
      for (const lt of await launchTemplates(ctx, s, nameOf(ctx))) removed.push(...(await deleteLaunchTemplate(ctx, s, lt)))
      ids = ids.filter((id) => !members.includes(id))
    } else if (g) {
      for (const id of ids.filter((x) => members.includes(x))) await s.asg.send(new s.asgm.TerminateInstanceInAutoScalingGroupCommand({InstanceId: id, ShouldDecrementDesiredCapacity: true})).catch((e) => fail(ctx, 'TerminateInstanceInAutoScalingGroup', e))
      await terminated(ctx, s, ids.filter((x) => members.includes(x)))
      removed.push(...ids.filter((x) => members.includes(x)).map((id) => `instance ${id}`))
      ids = ids.filter((id) => !members.includes(id))
    }
  }
  if (ids.length) {
    await s.ec2.send(new s.ec2m.TerminateInstancesCommand({InstanceIds: ids})).catch((e: {name?: string}) => gone(e) || fail(ctx, 'TerminateInstances', e))
    await terminated(ctx, s, ids)
    removed.push(...ids.map((id) => `instance ${id}`))
  }
  // the group's security group goes with its last instance (and its Auto Scaling group)
  if ((await describe(ctx, s, NOT_GONE)).length === 0 && !(spec.autoScaling && (await findAsgs(ctx, s, [nameOf(ctx)])).length)) {
    const sg = await s.ec2.send(new s.ec2m.DescribeSecurityGroupsCommand({Filters: [{Name: 'group-name', Values: [nameOf(ctx)]}, ...envFilters(ctx, ctx.group)]})).catch((e) => fail(ctx, 'DescribeSecurityGroups', e))
    // one try: still referenced by another group's rules, or its interfaces not released yet, it is left to env
    // down, which retries (bounded) and checks that nothing remains
    for (const g of sg.SecurityGroups ?? []) removed.push(...(await deleteSecurityGroup(ctx, s, g.GroupId!, 0).catch(() => [])))
  }
  return removed
}

/** What is left of the environment: instances not terminated, Auto Scaling groups, launch templates, security groups. */
export async function leftovers(ctx: ProviderContext, s: Sdk): Promise<string[]> {
  const instances = (await describe(ctx, s, NOT_GONE, false)).map((i) => `instance ${i.InstanceId} (${i.State?.Name})`)
  const asgs = (await findAsgs(ctx, s)).map((g) => `auto scaling group ${g.AutoScalingGroupName}`)
  const lts = [...new Set([...(await launchTemplates(ctx, s)), ...(await launchTemplates(ctx, s, nameOf(ctx)))])].map((n) => `launch template ${n}`)
  const sgs = await s.ec2.send(new s.ec2m.DescribeSecurityGroupsCommand({Filters: envFilters(ctx)})).catch((e) => fail(ctx, 'DescribeSecurityGroups', e))
  return [...instances, ...asgs, ...lts, ...(sgs.SecurityGroups ?? []).map((g) => `security group ${g.GroupId} (${g.GroupName})`)]
}

/**
 * Everything dops made for the environment goes: Auto Scaling groups, instances (stopped ones too), launch
 * templates, security groups. Then nothing tagged for it may remain: else an error names what does. Returns what
 * was removed.
 */
export async function teardown(ctx: ProviderContext, s: Sdk): Promise<string[]> {
  const removed: string[] = []
  const asgs = [...(await findAsgs(ctx, s)), ...(await findAsgs(ctx, s, [nameOf(ctx)]))]
  for (const g of new Map(asgs.map((x) => [x.AutoScalingGroupName, x])).values()) removed.push(...(await deleteAsg(ctx, s, g)))
  const ids = (await describe(ctx, s, NOT_GONE, false)).map((i) => i.InstanceId!)
  if (ids.length) {
    await s.ec2.send(new s.ec2m.TerminateInstancesCommand({InstanceIds: ids})).catch((e) => fail(ctx, 'TerminateInstances', e))
    await terminated(ctx, s, ids)
    removed.push(...ids.map((id) => `instance ${id}`))
  }
  for (const lt of new Set([...(await launchTemplates(ctx, s)), ...(await launchTemplates(ctx, s, nameOf(ctx)))])) removed.push(...(await deleteLaunchTemplate(ctx, s, lt)))
  const sgs = (await s.ec2.send(new s.ec2m.DescribeSecurityGroupsCommand({Filters: envFilters(ctx)})).catch((e) => fail(ctx, 'DescribeSecurityGroups', e))).SecurityGroups ?? []
  // rules that reference other groups first, then the groups themselves
  for (const g of sgs) if (g.IpPermissions?.length) await s.ec2.send(new s.ec2m.RevokeSecurityGroupIngressCommand({GroupId: g.GroupId, IpPermissions: g.IpPermissions})).catch((e: {name?: string}) => gone(e) || fail(ctx, 'RevokeSecurityGroupIngress', e))
  const deadline = deadlineOf(ctx)
  for (const g of sgs) removed.push(...(await deleteSecurityGroup(ctx, s, g.GroupId!, deadline)))
  const left = await leftovers(ctx, s)
  if (left.length) throw new DopsError('PROVIDER_ERROR', `aws: env down left ${left.length} resource(s) of ${ctx.project}/${ctx.env} behind: ${left.join(', ')}; run env down again`, {exitCode: ExitCode.PROVIDER_FAILED})
  return removed
}
