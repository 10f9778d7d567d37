/**
 * What the group looks like on EC2 beyond its running instances, for the environment's diff: its Auto Scaling group
 * (bounds, members), its launch template's latest version with a fingerprint comparable to the plan's, and its
 * stopped instances (they still exist: never counted as gone).
 */
import type {InstanceState} from '../../state/local-file.js'
import type {ProviderContext} from '../types.js'
import {fingerprint, launchData} from './create.js'
import {describe, toState} from './instances.js'
import {findSecurityGroup} from './firewall.js'
import {fail, nameOf, type Sdk, type Spec} from './sdk.js'
import {findAsgs} from './teardown.js'

export interface AwsGroupView {
  autoScaling?: {name: string; min: number; max: number; desired: number; instances: string[]}
  launchTemplate?: {name: string; version: number; fingerprint: string}
  /** the fingerprint the plan's spec gives (compare with launchTemplate.fingerprint: a difference needs a new version) */
  wanted: string
  stopped: InstanceState[]
}

type Bdm = {DeviceName?: string; Ebs?: {VolumeSize?: number; VolumeType?: string; DeleteOnTermination?: boolean; Iops?: number; Throughput?: number; Encrypted?: boolean}}
const normal = (l: Bdm[] = []) => l.map((b) => ({DeviceName: b.DeviceName, Ebs: {VolumeSize: b.Ebs?.VolumeSize, VolumeType: b.Ebs?.VolumeType, DeleteOnTermination: b.Ebs?.DeleteOnTermination ?? true, ...(b.Ebs?.Iops !== undefined ? {Iops: b.Ebs.Iops} : {}), ...(b.Ebs?.Throughput !== undefined ? {Throughput: b.Ebs.Throughput} : {}), ...(b.Ebs?.Encrypted !== undefined ? {Encrypted: b.Ebs.Encrypted} : {})}}))

export async function inspectGroup(ctx: ProviderContext, s: Sdk): Promise<AwsGroupView> {
  const spec = ctx.spec as Spec
  const d = await launchData(ctx, s, spec)
  const view: AwsGroupView = {wanted: fingerprint({...d, BlockDeviceMappings: normal(d.BlockDeviceMappings)}, spec.securityGroups), stopped: (await describe(ctx, s, ['stopping', 'stopped'])).map((i) => toState(ctx, i))}
  const [g] = await findAsgs(ctx, s, [nameOf(ctx)])
  if (g) view.autoScaling = {name: g.AutoScalingGroupName!, min: g.MinSize ?? 0, max: g.MaxSize ?? 0, desired: g.DesiredCapacity ?? 0, instances: (g.Instances ?? []).map((i) => i.InstanceId!)}
  const v = await s.ec2.send(new s.ec2m.DescribeLaunchTemplateVersionsCommand({LaunchTemplateName: nameOf(ctx), Versions: ['$Latest']})).catch((e: {name?: string}) => (/NotFound|MissingParameter/.test(String(e.name)) ? undefined : fail(ctx, 'DescribeLaunchTemplateVersions', e)))
  const lt = v?.LaunchTemplateVersions?.[0]
  if (lt) {
    const data = lt.LaunchTemplateData ?? {}
    const own = await findSecurityGroup(ctx, s, ctx.group, undefined).catch(() => undefined)
    const extra = (data.SecurityGroupIds ?? []).filter((id) => id !== own)
    const tags = data.TagSpecifications?.find((t) => t.ResourceType === 'instance')?.Tags ?? []
    view.launchTemplate = {name: lt.LaunchTemplateName!, version: lt.VersionNumber ?? 0, fingerprint: fingerprint({ImageId: data.ImageId, InstanceType: data.InstanceType, KeyName: data.KeyName, BlockDeviceMappings: normal(data.BlockDeviceMappings as Bdm[]), tags}, extra)}
  }
  return view
}
