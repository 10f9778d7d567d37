/**
 * Making instances: RunInstances spread over the subnets, or an Auto Scaling group with a launch template. Tags: the
 * plan's (a user's `Name` kept), then dops's identity (`dops:*`); `Name` defaults to `dops-<project>-<env>-<group>`.
 */
import {createHash} from 'node:crypto'
import {DopsError, ExitCode} from '../../errors.js'
import type {InstanceState} from '../../state/local-file.js'
import {PartialCreateError, type ProviderContext} from '../types.js'
import {running, spreadOverSubnets} from './instances.js'
import {preflightSpec, subnetsOf, vpcOf} from './lookup.js'
import {securityGroup} from './firewall.js'
import {fail, nameOf, regionOf, sleep, tagKeys, type Sdk, type Spec} from './sdk.js'
import {blockDevices} from './volumes.js'

/** The instance tags: the plan's, dops's identity over them, and a Name unless the plan gives one. */
export function instanceTags(ctx: ProviderContext, spec: Spec): Array<{Key: string; Value: string}> {
  const user = Object.fromEntries(Object.entries(spec.tags ?? {}).map(([k, v]) => [k, String(v)]))
  return Object.entries({Name: nameOf(ctx), ...user, ...tagKeys(ctx)}).map(([Key, Value]) => ({Key, Value}))
}

/** What a launch template (or RunInstances) gets from the spec, without the security groups. */
export async function launchData(ctx: ProviderContext, s: Sdk, spec: Spec) {
  const {type, image} = await preflightSpec(ctx, s, spec)
  const BlockDeviceMappings = blockDevices(spec.storage, image.rootDevice)
  return {ImageId: image.id, InstanceType: type.name as never, KeyName: spec.keyPair, BlockDeviceMappings, tags: instanceTags(ctx, spec)}
}

/** A fingerprint of what instances are launched with (image, type, key, volumes, tags, extra security groups). */
export function fingerprint(d: {ImageId?: string; InstanceType?: string; KeyName?: string; BlockDeviceMappings?: unknown[]; tags?: Array<{Key?: string; Value?: string}>}, extraGroups: string[] = []): string {
  const tags = [...(d.tags ?? [])].map((t) => `${t.Key}=${t.Value}`).sort()
  const canon = JSON.stringify([d.ImageId, d.InstanceType, d.KeyName ?? null, d.BlockDeviceMappings ?? [], tags, [...extraGroups].sort()])
  return createHash('sha256').update(canon).digest('hex').slice(0, 16)
}

async function viaAutoScaling(ctx: ProviderContext, s: Sdk, spec: Spec, data: Awaited<ReturnType<typeof launchData>>, SecurityGroupIds: string[], count: number, existing: InstanceState[]): Promise<InstanceState[]> {
  const name = nameOf(ctx)
  const subnets = subnetsOf(spec)
  const {tags, ...lt} = data
  const have = await s.ec2.send(new s.ec2m.DescribeLaunchTemplatesCommand({LaunchTemplateNames: [name]})).catch(() => undefined)
  if (!have?.LaunchTemplates?.length)
    await s.ec2
      .send(new s.ec2m.CreateLaunchTemplateCommand({LaunchTemplateName: name, LaunchTemplateData: {...lt, BlockDeviceMappings: lt.BlockDeviceMappings.length ? lt.BlockDeviceMappings : undefined, SecurityGroupIds, TagSpecifications: [{ResourceType: 'instance', Tags: tags}]}, TagSpecifications: [{ResourceType: 'launch-template', Tags: Object.entries(tagKeys(ctx)).map(([Key, Value]) => ({Key, Value}))}]}))
      .catch((e) => fail(ctx, 'CreateLaunchTemplate', e))
  const desired = existing.length + count
  const found = await s.asg.send(new s.asgm.DescribeAutoScalingGroupsCommand({AutoScalingGroupNames: [name]})).catch((e) => fail(ctx, 'DescribeAutoScalingGroups', e))
  const a = spec.autoScaling!
  if (!found.AutoScalingGroups?.length) {
    await s.asg
      .send(new s.asgm.CreateAutoScalingGroupCommand({AutoScalingGroupName: name, LaunchTemplate: {LaunchTemplateName: name, Version: '$Latest'}, MinSize: Math.min(a.min ?? 0, desired), MaxSize: Math.max(a.max ?? desired, desired), DesiredCapacity: desired, VPCZoneIdentifier: subnets.length ? subnets.join(',') : undefined, AvailabilityZones: subnets.length ? undefined : [`${regionOf(ctx)}a`], Tags: tags.map((t) => ({...t, PropagateAtLaunch: true}))}))
      .catch((e) => fail(ctx, 'CreateAutoScalingGroup', e))
  } else {
    await s.asg.send(new s.asgm.UpdateAutoScalingGroupCommand({AutoScalingGroupName: name, DesiredCapacity: desired, MaxSize: Math.max(found.AutoScalingGroups[0]!.MaxSize ?? desired, desired)})).catch((e) => fail(ctx, 'UpdateAutoScalingGroup', e))
  }
  // the group launches them: wait (bounded) until it reports them, then read their addresses
  for (let i = 0; i < 60; i++) {
    const g = await s.asg.send(new s.asgm.DescribeAutoScalingGroupsCommand({AutoScalingGroupNames: [name]})).catch((e) => fail(ctx, 'DescribeAutoScalingGroups', e))
    const ids = (g.AutoScalingGroups?.[0]?.Instances ?? []).map((x) => x.InstanceId!)
    if (ids.length >= desired) {
      const known = new Set(existing.map((e) => e.id))
      return running(ctx, s, ids.filter((id) => !known.has(id)))
    }
    await sleep(1000)
  }
  throw new DopsError('PROVIDER_ERROR', `aws (group ${ctx.group}): the Auto Scaling group did not reach ${desired} instances in 60 s`, {exitCode: ExitCode.PROVIDER_FAILED})
}

export async function createInstances(ctx: ProviderContext, s: Sdk, count: number, existing: InstanceState[]): Promise<InstanceState[]> {
  const spec = ctx.spec as Spec
  const data = await launchData(ctx, s, spec)
  const sg = await securityGroup(ctx, s, ctx.group, spec.firewall, await vpcOf(ctx, s, spec))
  const SecurityGroupIds = [sg, ...(spec.securityGroups ?? [])]
  if (spec.autoScaling) return viaAutoScaling(ctx, s, spec, data, SecurityGroupIds, count, existing)
  // spread over the subnets (availability zones): the ones with the fewest of the group's instances first
  const subnets = subnetsOf(spec)
  const plan = subnets.length ? spreadOverSubnets(subnets, existing.map((e) => e.data.subnet as string | undefined), count) : new Map([[undefined as string | undefined, count]])
  const ids: string[] = []
  for (const [SubnetId, n] of plan) {
    const r = await s.ec2
      .send(new s.ec2m.RunInstancesCommand({ImageId: data.ImageId, InstanceType: data.InstanceType, MinCount: n, MaxCount: n, KeyName: spec.keyPair, SubnetId, SecurityGroupIds, BlockDeviceMappings: data.BlockDeviceMappings.length ? data.BlockDeviceMappings : undefined, TagSpecifications: [{ResourceType: 'instance', Tags: data.tags}]}))
      .catch(async (e) => {
        try {
          return fail(ctx, 'RunInstances', e)
        } catch (err) {
          // what the earlier subnets got is handed back, so it is recorded and never created twice
          if (!ids.length) throw err
          const made = await running(ctx, s, ids).catch(() => ids.map((id) => ({id, name: `${ctx.group}-${id.slice(-8)}`, address: '', port: 22, user: '', createdAt: new Date().toISOString(), data: {instanceId: id}})))
          throw new PartialCreateError(made, err as DopsError)
        }
      })
    ids.push(...(r.Instances ?? []).map((i) => i.InstanceId!))
  }
  return running(ctx, s, ids)
}
