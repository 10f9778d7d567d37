/**
 * Making instances: RunInstances spread over the subnets, or an Auto Scaling group with a launch template. Tags: the
 * plan's (a user's `Name` kept), then dops's identity (`dops:*`) and its record of the user's keys (`dops:tags`, tags.ts);
 * `Name` defaults to `dops-<project>-<env>-<group>`.
 */
import {createHash} from 'node:crypto'
import {DopsError, ExitCode} from '../../errors.js'
import type {InstanceState} from '../../state/local-file.js'
import {PartialCreateError, type ProviderContext} from '../types.js'
import {fitBounds, makeAsg, useLatest} from './autoscaling.js'
import {describe, running, spreadOverSubnets} from './instances.js'
import {preflightSpec, subnetsOf, vpcOf} from './lookup.js'
import {securityGroup} from './firewall.js'
import {fail, nameOf, sleep, type Sdk, type Spec} from './sdk.js'
import {instanceTags} from './tags.js'
import {ensureTemplate, partsOf, templateData, templateVersions} from './template.js'
import {findAsgs} from './teardown.js'
import {blockDevices} from './volumes.js'

/** What a launch template (or RunInstances) gets from the spec, without the security groups. */
export async function launchData(ctx: ProviderContext, s: Sdk, spec: Spec) {
  const {type, image} = await preflightSpec(ctx, s, spec)
  const BlockDeviceMappings = blockDevices(spec.storage, image.rootDevice)
  return {ImageId: image.id, InstanceType: type.name as never, KeyName: spec.keyPair, BlockDeviceMappings, tags: instanceTags(ctx, spec)}
}

/**
 * New instances of an Auto Scaling group: its launch template brought to the plan first (a new default version when
 * it differs: the group launches `$Latest`), the group made around the group's plain running instances when it has
 * none yet (attached, not launched again), then its desired capacity raised by `count` (bounds widened to hold it).
 */
async function viaAutoScaling(ctx: ProviderContext, s: Sdk, spec: Spec, data: Awaited<ReturnType<typeof launchData>>, SecurityGroupIds: string[], count: number, existing: InstanceState[]): Promise<InstanceState[]> {
  const name = nameOf(ctx)
  await ensureTemplate(ctx, s, templateData(data, SecurityGroupIds), await templateVersions(ctx, s, SecurityGroupIds[0]), partsOf(data, spec.securityGroups))
  let [g] = await findAsgs(ctx, s, [name])
  if (!g) {
    const plain = existing.length ? await describe(ctx, s, ['running']) : []
    g = await makeAsg(ctx, s, spec, data.tags, plain.filter((i) => existing.some((e) => e.id === i.InstanceId)).map((i) => ({id: i.InstanceId!, zone: i.Placement?.AvailabilityZone})))
  } else await useLatest(ctx, s, g)
  const known = new Set(existing.map((e) => e.id))
  const desired = (g.Instances ?? []).filter((m) => known.has(m.InstanceId!)).length + count
  await s.asg.send(new s.asgm.UpdateAutoScalingGroupCommand({AutoScalingGroupName: name, DesiredCapacity: desired, ...fitBounds(spec, desired, g.MaxSize ?? desired)})).catch((e) => fail(ctx, 'UpdateAutoScalingGroup', e))
  // the group launches them: wait (bounded) until it reports them, then read their addresses
  for (let i = 0; i < 60; i++) {
    const now = await s.asg.send(new s.asgm.DescribeAutoScalingGroupsCommand({AutoScalingGroupNames: [name]})).catch((e) => fail(ctx, 'DescribeAutoScalingGroups', e))
    const ids = (now.AutoScalingGroups?.[0]?.Instances ?? []).map((x) => x.InstanceId!)
    if (ids.length >= desired) return running(ctx, s, ids.filter((id) => !known.has(id)))
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
    const ClientToken = clientToken(ctx, existing, SubnetId, n)
    const r = await s.ec2
      .send(new s.ec2m.RunInstancesCommand({ClientToken, ImageId: data.ImageId, InstanceType: data.InstanceType, MinCount: n, MaxCount: n, KeyName: spec.keyPair, SubnetId, SecurityGroupIds, BlockDeviceMappings: data.BlockDeviceMappings.length ? data.BlockDeviceMappings : undefined, TagSpecifications: [{ResourceType: 'instance', Tags: data.tags}]}))
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

/**
 * RunInstances' idempotency token for an action (a recovery's decision id): the same action, group, instances before
 * it, subnet and count give the same token, so a retried replace gets the instances of the first try back from EC2
 * instead of launching more. Without an action: none (every `env up` is its own).
 */
export function clientToken(ctx: ProviderContext, existing: InstanceState[], subnet: string | undefined, n: number): string | undefined {
  if (!ctx.idempotencyKey) return undefined
  const basis = [ctx.project, ctx.env, ctx.group, ctx.idempotencyKey, existing.map((e) => e.id).sort().join(','), subnet ?? '', n].join('|')
  return `dops-${createHash('sha256').update(basis).digest('hex').slice(0, 40)}`
}
