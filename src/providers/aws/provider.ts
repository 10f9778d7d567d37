/**
 * The `aws` provider: EC2 instances (or an Auto Scaling group with a launch template) tagged with the project,
 * environment and group, a security group per group carrying the plan's firewall rules (CIDRs, and references to
 * other groups' security groups), EBS volumes, image by id or name filter, size by type or `2C4G`. The SDK is
 * loaded only when an aws group is used. Credentials come from the SDK's default chain; region and an endpoint
 * override from the plan; throttled calls are retried by the SDK (standard mode, up to 8 attempts).
 * Addressing (documented): `public` uses the public IP when there is one, else the private one; `private` (default
 * when the provider says so) always the private IP; reaching private IPs from outside needs ssh.proxyJump.
 * The parts: sdk (clients, errors), lookup (types, images, ids), volumes, firewall, tags, template (launch template
 * versions), autoscaling (bounds, made around or removed from instances), instances (also stopped ones, start),
 * create, converge (in-place drift and reconcile), outdated (what needs new instances), teardown, inspect.
 */
import type {InstanceState} from '../../state/local-file.js'
import type {Provider, ProviderContext} from '../types.js'
import {applyBounds} from './autoscaling.js'
import {converge} from './converge.js'
import {createInstances} from './create.js'
import {inspectGroup, type AwsGroupView} from './inspect.js'
import {describe, EXISTING, startInstances, stoppedOf, toState} from './instances.js'
import {preflightSpec} from './lookup.js'
import {outdatedOf} from './outdated.js'
import {fail, nameOf, sdk, type Sdk, type Spec} from './sdk.js'
import {destroyInstances, findAsgs, leftovers, teardown} from './teardown.js'

export {spreadOverSubnets} from './instances.js'

/**
 * Destroy instances; those in an Auto Scaling group are terminated in it with its desired capacity decremented
 * (also when the plan no longer has `autoScaling` and the group is not deleted yet), its minimum lowered first when
 * the new capacity is below it, its bounds the plan's again after.
 */
async function destroyAll(ctx: ProviderContext, s: Sdk, instances: InstanceState[]): Promise<string[]> {
  const spec = ctx.spec as Spec
  const [g] = await findAsgs(ctx, s, [nameOf(ctx)])
  if (!g) return destroyInstances(ctx, s, instances)
  const leaving = (g.Instances ?? []).filter((m) => instances.some((i) => i.id === m.InstanceId)).length
  const desired = Math.max(0, (g.DesiredCapacity ?? 0) - leaving)
  if (leaving && leaving < (g.Instances?.length ?? 0) && (g.MinSize ?? 0) > desired) await s.asg.send(new s.asgm.UpdateAutoScalingGroupCommand({AutoScalingGroupName: g.AutoScalingGroupName, MinSize: desired})).catch((e) => fail(ctx, 'UpdateAutoScalingGroup', e))
  const removed = await destroyInstances({...ctx, spec: {...spec, autoScaling: spec.autoScaling ?? {}}}, s, instances)
  const [after] = spec.autoScaling ? await findAsgs(ctx, s, [nameOf(ctx)]) : []
  if (after) await applyBounds(ctx, s, after, spec)
  return removed
}

export interface AwsProvider extends Provider {
  discover(ctx: ProviderContext): Promise<InstanceState[]>
  /** env down's last step: removes everything tagged for the environment, fails naming what remains; returns what it removed */
  cleanup(ctx: ProviderContext): Promise<void>
  teardown(ctx: ProviderContext): Promise<string[]>
  /** what remains of the environment on EC2 (instances not terminated, Auto Scaling groups, launch templates, security groups) */
  leftovers(ctx: ProviderContext): Promise<string[]>
  /** the group's Auto Scaling group, launch template fingerprint (current and wanted) and stopped instances */
  inspect(ctx: ProviderContext): Promise<AwsGroupView>
  /** destroy, returning what was removed */
  remove(ctx: ProviderContext, instances: InstanceState[]): Promise<string[]>
}

export const awsProvider: AwsProvider = {
  type: 'aws',
  ignoredFields: () => [],

  async preflight(ctx) {
    await preflightSpec(ctx, await sdk(ctx), ctx.spec as Spec)
  },

  async cleanup(ctx) {
    await teardown(ctx, await sdk(ctx))
  },
  teardown: async (ctx) => teardown(ctx, await sdk(ctx)),
  leftovers: async (ctx) => leftovers(ctx, await sdk(ctx)),
  inspect: async (ctx) => inspectGroup(ctx, await sdk(ctx)),

  drift: async (ctx) => converge(ctx, await sdk(ctx), false),
  reconcile: async (ctx) => converge(ctx, await sdk(ctx), true),
  outdated: async (ctx, instances) => outdatedOf(ctx, await sdk(ctx), instances),
  stopped: async (ctx, instances) => stoppedOf(ctx, await sdk(ctx), instances),
  start: async (ctx, instances) => startInstances(ctx, await sdk(ctx), instances),

  // stopped instances too: they exist (a lost state never makes them again); `stopped` tells them apart
  async discover(ctx) {
    return (await describe(ctx, await sdk(ctx), EXISTING)).map((i) => toState(ctx, i))
  },

  async alive(ctx, instances) {
    const live = new Set((await describe(ctx, await sdk(ctx))).map((i) => i.InstanceId))
    return instances.filter((i) => live.has(i.id))
  },

  create: async (ctx, count, existing) => createInstances(ctx, await sdk(ctx), count, existing),
  remove: async (ctx, instances) => destroyAll(ctx, await sdk(ctx), instances),
  async destroy(ctx, instances) {
    await destroyAll(ctx, await sdk(ctx), instances)
  },
}
