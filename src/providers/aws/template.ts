/**
 * The launch template of an Auto Scaling group (`dops-<project>-<env>-<group>`): what it launches compared with the
 * plan, part by part. When they differ, `env up` adds a version made the default (the group launches `$Latest`),
 * so every instance made from then on is the plan's; instances of an older version that differs in what an
 * instance is made of (not only tags) are `outdated` and replaced by the environment.
 */
import {createHash} from 'node:crypto'
import type {ProviderContext} from '../types.js'
import {preflightSpec, resolveImage, resolveType} from './lookup.js'
import {fail, nameOf, tagKeys, type Sdk, type Spec} from './sdk.js'
import {instanceTags} from './tags.js'
import {blockDevices} from './volumes.js'

type Bdm = {DeviceName?: string; Ebs?: {VolumeSize?: number; VolumeType?: string; DeleteOnTermination?: boolean; Iops?: number; Throughput?: number; Encrypted?: boolean}}
type Data = import('@aws-sdk/client-ec2').RequestLaunchTemplateData

/** What instances are launched with, comparable part by part. */
export interface Parts {
  image?: string
  type?: string
  keyPair?: string
  volumes: string
  tags: string[]
  groups: string[]
}

export const normalVolumes = (l: Bdm[] = []) => l.map((b) => ({DeviceName: b.DeviceName, Ebs: {VolumeSize: b.Ebs?.VolumeSize, VolumeType: b.Ebs?.VolumeType, DeleteOnTermination: b.Ebs?.DeleteOnTermination ?? true, ...(b.Ebs?.Iops !== undefined ? {Iops: b.Ebs.Iops} : {}), ...(b.Ebs?.Throughput !== undefined ? {Throughput: b.Ebs.Throughput} : {}), ...(b.Ebs?.Encrypted !== undefined ? {Encrypted: b.Ebs.Encrypted} : {})}}))

export function partsOf(d: {ImageId?: string; InstanceType?: string; KeyName?: string; BlockDeviceMappings?: Bdm[]; tags?: Array<{Key?: string; Value?: string}>}, extraGroups: string[] = []): Parts {
  return {image: d.ImageId, type: d.InstanceType, keyPair: d.KeyName, volumes: JSON.stringify(normalVolumes(d.BlockDeviceMappings)), tags: (d.tags ?? []).map((t) => `${t.Key}=${t.Value}`).sort(), groups: [...extraGroups].sort()}
}

/** A fingerprint of the parts; `withTags` false: only what an instance is made of (a difference needs a new one). */
export function printOf(p: Parts, withTags = true): string {
  const canon = JSON.stringify([p.image, p.type, p.keyPair ?? null, p.volumes, withTags ? p.tags : [], p.groups])
  return createHash('sha256').update(canon).digest('hex').slice(0, 16)
}

/** What differs between the template's parts and the plan's, for `env plan`. */
export function partsDiff(cur: Parts, want: Parts): string[] {
  const out: string[] = []
  if (cur.type !== want.type) out.push(`size ${cur.type} -> ${want.type}`)
  if (cur.image !== want.image) out.push(`image ${cur.image} -> ${want.image}`)
  if ((cur.keyPair ?? '') !== (want.keyPair ?? '')) out.push(`key pair ${cur.keyPair ?? '(none)'} -> ${want.keyPair ?? '(none)'}`)
  if (cur.volumes !== want.volumes) out.push('storage')
  if (JSON.stringify(cur.tags) !== JSON.stringify(want.tags)) out.push('tags')
  if (JSON.stringify(cur.groups) !== JSON.stringify(want.groups)) out.push(`security groups ${cur.groups.join(',') || '(none)'} -> ${want.groups.join(',') || '(none)'}`)
  return out
}

/** The plan's launch data (cached type and image lookups) and its parts. */
export async function wantedData(ctx: ProviderContext, s: Sdk, spec: Spec) {
  const type = await resolveType(ctx, s, spec.size)
  // an image that no longer exists: the preflight's error, naming it
  const image = (await resolveImage(ctx, s, spec, type.arch)) ?? (await preflightSpec(ctx, s, spec)).image
  const BlockDeviceMappings = blockDevices(spec.storage, image.rootDevice)
  const tags = instanceTags(ctx, spec)
  const data = {ImageId: image.id, InstanceType: type.name, KeyName: spec.keyPair, BlockDeviceMappings, tags}
  return {data, parts: partsOf(data, spec.securityGroups), image, type}
}

export interface TemplateVersion {
  version: number
  isDefault: boolean
  parts: Parts
}

/** Every version of the group's launch template (undefined when it has none), oldest first. */
export async function templateVersions(ctx: ProviderContext, s: Sdk, ownGroup: string | undefined): Promise<TemplateVersion[] | undefined> {
  const out: TemplateVersion[] = []
  let token: string | undefined
  for (let page = 0; page < 100; page++) {
    const r = await s.ec2.send(new s.ec2m.DescribeLaunchTemplateVersionsCommand({LaunchTemplateName: nameOf(ctx), NextToken: token})).catch((e: {name?: string}) => (/NotFound|MissingParameter/.test(String(e.name)) ? undefined : fail(ctx, 'DescribeLaunchTemplateVersions', e)))
    if (!r) return undefined
    for (const v of r.LaunchTemplateVersions ?? []) {
      const data = v.LaunchTemplateData ?? {}
      const tags = data.TagSpecifications?.find((t) => t.ResourceType === 'instance')?.Tags ?? []
      out.push({version: v.VersionNumber ?? 0, isDefault: !!v.DefaultVersion, parts: partsOf({...data, BlockDeviceMappings: data.BlockDeviceMappings as Bdm[], tags}, (data.SecurityGroupIds ?? []).filter((id) => id !== ownGroup))})
    }
    token = r.NextToken
    if (!token) break
  }
  return out.sort((a, b) => a.version - b.version)
}

/** The launch template data for the plan (security groups: the group's own, then the plan's). */
export function templateData(d: Awaited<ReturnType<typeof wantedData>>['data'], SecurityGroupIds: string[]): Data {
  return {ImageId: d.ImageId, InstanceType: d.InstanceType as never, KeyName: d.KeyName, BlockDeviceMappings: d.BlockDeviceMappings.length ? d.BlockDeviceMappings : undefined, SecurityGroupIds, TagSpecifications: [{ResourceType: 'instance', Tags: d.tags}]}
}

/** Make the template (first time) or, when it differs from the plan, a new default version; returns its version. */
export async function ensureTemplate(ctx: ProviderContext, s: Sdk, data: Data, cur: TemplateVersion[] | undefined, want: Parts): Promise<number> {
  const name = nameOf(ctx)
  if (!cur?.length) {
    const r = await s.ec2
      .send(new s.ec2m.CreateLaunchTemplateCommand({LaunchTemplateName: name, LaunchTemplateData: data, TagSpecifications: [{ResourceType: 'launch-template', Tags: Object.entries(tagKeys(ctx)).map(([Key, Value]) => ({Key, Value}))}]}))
      .catch((e) => fail(ctx, 'CreateLaunchTemplate', e))
    return r.LaunchTemplate?.LatestVersionNumber ?? 1
  }
  const latest = cur[cur.length - 1]!
  if (printOf(latest.parts) === printOf(want)) {
    if (!latest.isDefault) await s.ec2.send(new s.ec2m.ModifyLaunchTemplateCommand({LaunchTemplateName: name, DefaultVersion: String(latest.version)})).catch((e) => fail(ctx, 'ModifyLaunchTemplate', e))
    return latest.version
  }
  const r = await s.ec2.send(new s.ec2m.CreateLaunchTemplateVersionCommand({LaunchTemplateName: name, LaunchTemplateData: data, VersionDescription: 'dops: the plan changed'})).catch((e) => fail(ctx, 'CreateLaunchTemplateVersion', e))
  const version = r.LaunchTemplateVersion?.VersionNumber ?? latest.version + 1
  await s.ec2.send(new s.ec2m.ModifyLaunchTemplateCommand({LaunchTemplateName: name, DefaultVersion: String(version)})).catch((e) => fail(ctx, 'ModifyLaunchTemplate', e))
  return version
}

/** The drift line for the template, if it differs from the plan. */
export function templateLine(ctx: ProviderContext, cur: TemplateVersion[] | undefined, want: Parts): string[] {
  const latest = cur?.[cur.length - 1]
  if (!latest || printOf(latest.parts) === printOf(want)) return []
  return [`launch template ${nameOf(ctx)}: new version ${latest.version + 1}, the default (${partsDiff(latest.parts, want).join(', ')})`]
}
