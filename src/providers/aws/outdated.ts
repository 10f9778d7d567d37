/**
 * Which live instances only a new instance brings to the plan: another instance type (`size`, `2C4G` resolved by the
 * cached lookups), image, key pair, or volumes (a device missing or not in the plan, size, type, and iops,
 * throughput, encrypted where the plan sets them and EC2 reports them); in an Auto Scaling group also an instance
 * launched from a launch template version that is not what the plan gives (tags aside: those change in place).
 * Everything is read once for all the instances (DescribeInstances, DescribeVolumes, the template's versions).
 */
import type {InstanceState} from '../../state/local-file.js'
import type {Outdated, ProviderContext} from '../types.js'
import {findSecurityGroup} from './firewall.js'
import {fail, type Sdk, type Spec} from './sdk.js'
import {printOf, templateVersions, wantedData} from './template.js'

type Instance = import('@aws-sdk/client-ec2').Instance
type Volume = import('@aws-sdk/client-ec2').Volume

/** Read with id filters (a missing id is simply absent), 200 ids a call, pages bounded. */
async function byIds<T>(ctx: ProviderContext, what: string, ids: string[], call: (chunk: string[], token?: string) => Promise<{items: T[]; token?: string}>): Promise<T[]> {
  const out: T[] = []
  for (let i = 0; i < ids.length; i += 200) {
    let token: string | undefined
    for (let page = 0; page < 100; page++) {
      const r = await call(ids.slice(i, i + 200), token).catch((e) => fail(ctx, what, e))
      out.push(...r.items)
      token = r.token
      if (!token) break
    }
  }
  return out
}

export async function outdatedOf(ctx: ProviderContext, s: Sdk, recorded: InstanceState[]): Promise<Outdated[]> {
  if (!recorded.length) return []
  const spec = ctx.spec as Spec
  const want = await wantedData(ctx, s, spec)
  const live = await byIds<Instance>(ctx, 'DescribeInstances', recorded.map((r) => r.id), async (chunk, NextToken) => {
    const r = await s.ec2.send(new s.ec2m.DescribeInstancesCommand({NextToken, Filters: [{Name: 'instance-id', Values: chunk}, {Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped']}]}))
    return {items: (r.Reservations ?? []).flatMap((x) => x.Instances ?? []), token: r.NextToken}
  })
  const volumeIds = live.flatMap((i) => (i.BlockDeviceMappings ?? []).map((b) => b.Ebs?.VolumeId).filter((v): v is string => !!v))
  const volumes = new Map(
    (
      await byIds<Volume>(ctx, 'DescribeVolumes', volumeIds, async (chunk, NextToken) => {
        const r = await s.ec2.send(new s.ec2m.DescribeVolumesCommand({NextToken, Filters: [{Name: 'volume-id', Values: chunk}]}))
        return {items: r.Volumes ?? [], token: r.NextToken}
      })
    ).map((v) => [v.VolumeId!, v]),
  )
  // an Auto Scaling group's instances: the launch template version each was made from, against the plan's
  const versions = spec.autoScaling ? await templateVersions(ctx, s, await findSecurityGroup(ctx, s, ctx.group, undefined)) : undefined
  const latest = versions?.at(-1)
  const target = latest ? (printOf(latest.parts) === printOf(want.parts) ? latest.version : latest.version + 1) : undefined
  const out: Outdated[] = []
  for (const r of recorded) {
    const i = live.find((x) => x.InstanceId === r.id)
    if (!i) continue
    const why: string[] = []
    if (i.InstanceType !== want.type.name) why.push(`size ${i.InstanceType} -> ${want.type.name}`)
    if (i.ImageId !== want.image.id) why.push(`image ${i.ImageId} -> ${want.image.id}`)
    if ((i.KeyName ?? '') !== (spec.keyPair ?? '')) why.push(`key pair ${i.KeyName ?? '(none)'} -> ${spec.keyPair ?? '(none)'}`)
    why.push(...storageWhy(i, want.data.BlockDeviceMappings, volumes))
    const v = Number(i.Tags?.find((t) => t.Key === 'aws:ec2launchtemplate:version')?.Value)
    const made = versions?.find((x) => x.version === v)
    if (made && target !== undefined && v !== target && printOf(made.parts, false) !== printOf(want.parts, false)) why.push(`launch template version ${v} -> ${target}`)
    if (why.length) out.push({name: r.name, why})
  }
  return out
}

type Mapping = {DeviceName: string; Ebs: {VolumeSize: number; VolumeType: string; Iops?: number; Throughput?: number; Encrypted?: boolean}}

/** How the instance's volumes differ from the plan's (`storage /dev/xvda 8 -> 20 GiB`); the image's root is the plan's only when it names it. */
function storageWhy(i: Instance, wanted: Mapping[], volumes: Map<string, Volume>): string[] {
  const why: string[] = []
  const has = new Map((i.BlockDeviceMappings ?? []).map((b) => [b.DeviceName!, b.Ebs?.VolumeId ? volumes.get(b.Ebs.VolumeId) : undefined]))
  for (const w of wanted) {
    const dev = w.DeviceName
    if (!has.has(dev)) {
      why.push(`storage ${dev} missing (${w.Ebs.VolumeSize} GiB ${w.Ebs.VolumeType})`)
      continue
    }
    const v = has.get(dev)
    if (!v) continue
    if (v.Size !== w.Ebs.VolumeSize) why.push(`storage ${dev} ${v.Size} -> ${w.Ebs.VolumeSize} GiB`)
    if (v.VolumeType !== w.Ebs.VolumeType) why.push(`storage ${dev} ${v.VolumeType} -> ${w.Ebs.VolumeType}`)
    if (w.Ebs.Iops !== undefined && v.Iops != null && v.Iops !== w.Ebs.Iops) why.push(`storage ${dev} iops ${v.Iops} -> ${w.Ebs.Iops}`)
    if (w.Ebs.Throughput !== undefined && v.Throughput != null && v.Throughput !== w.Ebs.Throughput) why.push(`storage ${dev} throughput ${v.Throughput} -> ${w.Ebs.Throughput}`)
    if (w.Ebs.Encrypted !== undefined && !!v.Encrypted !== w.Ebs.Encrypted) why.push(`storage ${dev} encrypted ${!!v.Encrypted} -> ${w.Ebs.Encrypted}`)
  }
  const named = new Set(wanted.map((w) => w.DeviceName))
  for (const [dev, v] of has) if (dev !== i.RootDeviceName && !named.has(dev)) why.push(`storage ${dev}${v?.Size ? ` ${v.Size} GiB` : ''} not in the plan`)
  return why
}
