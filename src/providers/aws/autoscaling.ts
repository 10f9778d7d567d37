/**
 * A group's Auto Scaling group beyond its instance count: its bounds kept to the plan's, made around instances the
 * group already has (they are attached, not launched again), and removed when the plan no longer has `autoScaling`
 * (its instances are detached and stay, as the group's plain instances). The desired capacity is the group's host
 * count: `create` and `destroy` set it (the environment passes the count: `count`, `desired`, `min`, or `dops scale`).
 */
import {DopsError, ExitCode} from '../../errors.js'
import type {ProviderContext} from '../types.js'
import {subnetsOf} from './lookup.js'
import {fail, nameOf, regionOf, sleep, waitSeconds, type Sdk, type Spec} from './sdk.js'
import {findAsgs} from './teardown.js'
import type {Tag} from './tags.js'

type AsgInfo = import('@aws-sdk/client-auto-scaling').AutoScalingGroup

/** The plan's bounds: `min` (default 0) and `max` (unset: not kept, only raised to the host count). */
export function planBounds(spec: Spec): {min: number; max?: number} {
  return {min: spec.autoScaling?.min ?? 0, max: spec.autoScaling?.max}
}

/** The bounds to set for `desired` hosts: the plan's, widened to hold them (EC2 refuses a desired capacity outside). */
export function fitBounds(spec: Spec, desired: number, curMax: number): {MinSize: number; MaxSize: number} {
  const b = planBounds(spec)
  return {MinSize: Math.min(b.min, desired), MaxSize: Math.max(b.max ?? curMax, desired)}
}

/** `auto scaling group NAME: min 1 -> 2, max 4 -> 6`, when its bounds are not the plan's. */
export function boundsLine(g: AsgInfo, spec: Spec): string[] {
  const b = planBounds(spec)
  const parts = [...(g.MinSize !== b.min ? [`min ${g.MinSize} -> ${b.min}`] : []), ...(b.max !== undefined && g.MaxSize !== b.max ? [`max ${g.MaxSize} -> ${b.max}`] : [])]
  return parts.length ? [`auto scaling group ${g.AutoScalingGroupName}: ${parts.join(', ')}`] : []
}

/** Set the bounds for the group's desired capacity now (a change beyond it comes with `create`/`destroy`). */
export async function applyBounds(ctx: ProviderContext, s: Sdk, g: AsgInfo, spec: Spec, desired = g.DesiredCapacity ?? 0): Promise<void> {
  const want = fitBounds(spec, desired, g.MaxSize ?? desired)
  if (want.MinSize === g.MinSize && want.MaxSize === g.MaxSize) return
  await s.asg.send(new s.asgm.UpdateAutoScalingGroupCommand({AutoScalingGroupName: g.AutoScalingGroupName, ...want})).catch((e) => fail(ctx, 'UpdateAutoScalingGroup', e))
}

/** Until `done` holds or the delete timeout passes (bounded either way). */
async function until(ctx: ProviderContext, what: string, done: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + waitSeconds(ctx, 'delete') * 1000
  for (let i = 0; i < 10_000; i++) {
    if (await done()) return
    if (Date.now() >= deadline) break
    await sleep(Math.min(2000, 250 * 2 ** i))
  }
  throw new DopsError('PROVIDER_ERROR', `aws (group ${ctx.group}): ${what} did not happen within the deleteTimeout`, {exitCode: ExitCode.PROVIDER_FAILED})
}

/**
 * Make the group's Auto Scaling group (its launch template exists) around the running instances `attach`: created
 * empty, they are attached (AttachInstances raises the desired capacity by their number), then the plan's bounds.
 */
export async function makeAsg(ctx: ProviderContext, s: Sdk, spec: Spec, tags: Tag[], attach: Array<{id: string; zone?: string}>): Promise<AsgInfo> {
  const name = nameOf(ctx)
  const subnets = subnetsOf(spec)
  const zones = [...new Set([`${regionOf(ctx)}a`, ...attach.map((a) => a.zone).filter((z): z is string => !!z)])]
  const {MaxSize} = fitBounds(spec, attach.length, attach.length)
  await s.asg
    .send(new s.asgm.CreateAutoScalingGroupCommand({AutoScalingGroupName: name, LaunchTemplate: {LaunchTemplateName: name, Version: '$Latest'}, MinSize: 0, MaxSize, DesiredCapacity: 0, VPCZoneIdentifier: subnets.length ? subnets.join(',') : undefined, AvailabilityZones: subnets.length ? undefined : zones, Tags: tags.map((t) => ({...t, PropagateAtLaunch: true}))}))
    .catch((e) => fail(ctx, 'CreateAutoScalingGroup', e))
  for (let i = 0; i < attach.length; i += 20) await s.asg.send(new s.asgm.AttachInstancesCommand({AutoScalingGroupName: name, InstanceIds: attach.slice(i, i + 20).map((a) => a.id)})).catch((e) => fail(ctx, 'AttachInstances', e))
  let g: AsgInfo | undefined
  await until(ctx, `attaching ${attach.length} instance(s) to ${name}`, async () => {
    ;[g] = await findAsgs(ctx, s, [name])
    return !!g && (g.Instances?.length ?? 0) >= attach.length
  })
  await applyBounds(ctx, s, g!, spec, attach.length)
  return g!
}

/**
 * Remove the Auto Scaling group and its launch template, keeping its instances: its minimum goes to 0, they are
 * detached (the desired capacity decremented, so none is launched in their place), then the empty group is deleted.
 */
export async function removeAsg(ctx: ProviderContext, s: Sdk, g: AsgInfo): Promise<void> {
  const name = g.AutoScalingGroupName!
  const ids = (g.Instances ?? []).map((i) => i.InstanceId!)
  if ((g.MinSize ?? 0) > 0) await s.asg.send(new s.asgm.UpdateAutoScalingGroupCommand({AutoScalingGroupName: name, MinSize: 0})).catch((e) => fail(ctx, 'UpdateAutoScalingGroup', e))
  for (let i = 0; i < ids.length; i += 20) await s.asg.send(new s.asgm.DetachInstancesCommand({AutoScalingGroupName: name, InstanceIds: ids.slice(i, i + 20), ShouldDecrementDesiredCapacity: true})).catch((e) => fail(ctx, 'DetachInstances', e))
  await until(ctx, `detaching the instances of ${name}`, async () => !((await findAsgs(ctx, s, [name]))[0]?.Instances?.length))
  await s.asg.send(new s.asgm.DeleteAutoScalingGroupCommand({AutoScalingGroupName: name})).catch((e: {name?: string; message?: string}) => {
    if (!(e.name === 'ValidationError' && /not found|does not exist/i.test(String(e.message)))) fail(ctx, 'DeleteAutoScalingGroup', e)
  })
  await until(ctx, `deleting ${name}`, async () => !(await findAsgs(ctx, s, [name])).length)
  await s.ec2.send(new s.ec2m.DeleteLaunchTemplateCommand({LaunchTemplateName: nameOf(ctx)})).catch((e: {name?: string}) => /NotFound|MissingParameter/.test(String(e.name)) || fail(ctx, 'DeleteLaunchTemplate', e))
}

/** Point the Auto Scaling group at the template's newest version (dops makes it with `$Latest`; kept so). */
export async function useLatest(ctx: ProviderContext, s: Sdk, g: AsgInfo): Promise<void> {
  if (g.LaunchTemplate?.Version === '$Latest' && g.LaunchTemplate.LaunchTemplateName === nameOf(ctx)) return
  await s.asg.send(new s.asgm.UpdateAutoScalingGroupCommand({AutoScalingGroupName: g.AutoScalingGroupName, LaunchTemplate: {LaunchTemplateName: nameOf(ctx), Version: '$Latest'}})).catch((e) => fail(ctx, 'UpdateAutoScalingGroup', e))
}
