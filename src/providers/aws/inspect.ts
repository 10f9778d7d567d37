/**
 * What the group looks like on EC2 beyond its running instances, for the environment's diff: its Auto Scaling group
 * (bounds, members), its launch template's latest version with a fingerprint comparable to the plan's, and its
 * stopped instances (they still exist: never counted as gone).
 */
import type {InstanceState} from '../../state/local-file.js'
import type {ProviderContext} from '../types.js'
import {describe, toState} from './instances.js'
import {findSecurityGroup} from './firewall.js'
import {nameOf, type Sdk, type Spec} from './sdk.js'
import {printOf, templateVersions, wantedData} from './template.js'
import {findAsgs} from './teardown.js'

export interface AwsGroupView {
  autoScaling?: {name: string; min: number; max: number; desired: number; instances: string[]}
  launchTemplate?: {name: string; version: number; fingerprint: string}
  /** the fingerprint the plan's spec gives (compare with launchTemplate.fingerprint: a difference needs a new version) */
  wanted: string
  stopped: InstanceState[]
}

export async function inspectGroup(ctx: ProviderContext, s: Sdk): Promise<AwsGroupView> {
  const spec = ctx.spec as Spec
  const want = await wantedData(ctx, s, spec)
  const view: AwsGroupView = {wanted: printOf(want.parts), stopped: (await describe(ctx, s, ['stopping', 'stopped'])).map((i) => toState(ctx, i))}
  const [g] = await findAsgs(ctx, s, [nameOf(ctx)])
  if (g) view.autoScaling = {name: g.AutoScalingGroupName!, min: g.MinSize ?? 0, max: g.MaxSize ?? 0, desired: g.DesiredCapacity ?? 0, instances: (g.Instances ?? []).map((i) => i.InstanceId!)}
  const own = await findSecurityGroup(ctx, s, ctx.group, undefined).catch(() => undefined)
  const latest = (await templateVersions(ctx, s, own))?.at(-1)
  if (latest) view.launchTemplate = {name: nameOf(ctx), version: latest.version, fingerprint: printOf(latest.parts)}
  return view
}
