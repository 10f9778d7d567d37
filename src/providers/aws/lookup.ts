/**
 * What a group's spec refers to, looked up before anything is made: the instance type (by name, or the cheapest
 * for `2C4G`, the types of exactly that size, else one DescribeInstanceTypes listing per region and run), the image (an id, or a name filter among
 * the allowed owners and the type's architecture, the newest match) with its root device, and the ids the plan
 * names (subnets, security groups, key pair): every one that is missing is reported at once.
 */
import {DopsError} from '../../errors.js'
import type {ProviderContext} from '../types.js'
import {fail, type Sdk, type Spec} from './sdk.js'
import {parseSize, pickInstanceType, type TypeInfo} from './size.js'
import {volumeProblems} from './volumes.js'

/** Owners a name filter searches when the plan names none: the account, Amazon, Canonical (Ubuntu), Debian. */
export const DEFAULT_OWNERS = ['self', 'amazon', '099720109477', '136693071363']

export interface ResolvedType extends TypeInfo {
  arch: string[]
}
export interface ResolvedImage {
  id: string
  rootDevice?: string
  arch?: string
}

const typeCache = new Map<string, Promise<ResolvedType[]>>()

function toType(t: import('@aws-sdk/client-ec2').InstanceTypeInfo): ResolvedType {
  return {name: String(t.InstanceType), vcpus: t.VCpuInfo?.DefaultVCpus ?? 0, memoryMiB: t.MemoryInfo?.SizeInMiB ?? 0, arch: (t.ProcessorInfo?.SupportedArchitectures ?? []).map(String)}
}

/** The instance types with exactly these vCPUs and memory (paged, bounded): the smallest fit when there is one. */
async function typesOfSize(ctx: ProviderContext, s: Sdk, vcpus: number, memoryMiB: number): Promise<ResolvedType[]> {
  const out: ResolvedType[] = []
  const Filters = [
    {Name: 'vcpu-info.default-vcpus', Values: [String(vcpus)]},
    {Name: 'memory-info.size-in-mib', Values: [String(memoryMiB)]},
  ]
  let token: string | undefined
  for (let page = 0; page < 100; page++) {
    const r = await s.ec2.send(new s.ec2m.DescribeInstanceTypesCommand({Filters, NextToken: token})).catch((e) => fail(ctx, 'DescribeInstanceTypes', e))
    out.push(...(r.InstanceTypes ?? []).map(toType))
    token = r.NextToken
    if (!token) break
  }
  return out
}

/** Every instance type of the region (paged, bounded), listed once per region and run. */
function allTypes(ctx: ProviderContext, s: Sdk): Promise<ResolvedType[]> {
  let list = typeCache.get(s.where)
  if (!list) {
    list = (async () => {
      const out: ResolvedType[] = []
      let token: string | undefined
      for (let page = 0; page < 100; page++) {
        const r = await s.ec2.send(new s.ec2m.DescribeInstanceTypesCommand({NextToken: token})).catch((e) => fail(ctx, 'DescribeInstanceTypes', e))
        out.push(...(r.InstanceTypes ?? []).map(toType))
        token = r.NextToken
        if (!token) break
      }
      return out
    })()
    list.catch(() => typeCache.delete(s.where))
    typeCache.set(s.where, list)
  }
  return list
}

/** The instance type a size means (cached per region: one lookup per type and run). */
export function resolveType(ctx: ProviderContext, s: Sdk, size = 't3.micro'): Promise<ResolvedType> {
  const key = `${s.where}|${size}`
  let found = typeCache.get(key)
  if (!found) {
    found = (async () => {
      const want = parseSize(size)
      if ('type' in want) {
        const r = await s.ec2.send(new s.ec2m.DescribeInstanceTypesCommand({InstanceTypes: [want.type as never]})).catch((e: {name?: string}) => {
          if (e.name === 'InvalidInstanceType') throw new DopsError('INVALID_SPEC', `group ${ctx.group}: instance type \`${want.type}\` does not exist in this region`)
          return fail(ctx, 'DescribeInstanceTypes', e)
        })
        const t = (r.InstanceTypes ?? []).find((x) => x.InstanceType === want.type)
        if (!t) throw new DopsError('INVALID_SPEC', `group ${ctx.group}: instance type \`${want.type}\` does not exist in this region`)
        return [toType(t)]
      }
      // the types of exactly that size first (one small filtered call); only when none exists, the whole listing
      const exact = Number.isInteger(want.memoryGiB * 1024) ? await typesOfSize(ctx, s, want.vcpus, want.memoryGiB * 1024) : []
      const types = exact.length ? exact : await allTypes(ctx, s)
      const pick = pickInstanceType(types, want.vcpus, want.memoryGiB) as ResolvedType | undefined
      if (!pick) throw new DopsError('INVALID_SPEC', `group ${ctx.group}: no instance type has ${want.vcpus} vCPUs and ${want.memoryGiB} GiB (size ${size})`)
      return [pick]
    })()
    found.catch(() => typeCache.delete(key))
    typeCache.set(key, found)
  }
  return found.then((l) => l[0]!)
}

const imageCache = new Map<string, Promise<ResolvedImage | undefined>>()

/** The image: by id, or the newest match of the name filter among the owners, for one of the type's architectures. */
export function resolveImage(ctx: ProviderContext, s: Sdk, spec: Spec, arch: string[]): Promise<ResolvedImage | undefined> {
  const image = spec.image!
  const byId = /^ami-[0-9a-f]+$/.test(image)
  const owners = spec.owners?.length ? spec.owners : DEFAULT_OWNERS
  const key = JSON.stringify([s.where, image, byId ? [] : owners, byId ? [] : arch])
  let found = imageCache.get(key)
  if (!found) {
    found = (async () => {
      const r = await s.ec2
        .send(new s.ec2m.DescribeImagesCommand(byId ? {Filters: [{Name: 'image-id', Values: [image]}]} : {Owners: owners, Filters: [{Name: 'name', Values: [image]}, ...(arch.length ? [{Name: 'architecture', Values: arch}] : [])]}))
        .catch((e) => fail(ctx, 'DescribeImages', e))
      const newest = (r.Images ?? []).filter((i) => i.ImageId && (byId ? i.ImageId === image : !arch.length || arch.includes(String(i.Architecture)))).sort((a, b) => String(b.CreationDate ?? '').localeCompare(String(a.CreationDate ?? '')))[0]
      return newest ? {id: newest.ImageId!, rootDevice: newest.RootDeviceName, arch: newest.Architecture ? String(newest.Architecture) : undefined} : undefined
    })()
    found.catch(() => imageCache.delete(key))
    imageCache.set(key, found)
  }
  return found
}

export const subnetsOf = (spec: Spec): string[] => [...new Set([...(spec.subnet ? [spec.subnet] : []), ...(spec.subnets ?? [])])]

/** The subnets that exist, with their VPCs (filters: a missing id is simply absent). */
async function subnetVpcs(ctx: ProviderContext, s: Sdk, ids: string[]): Promise<Map<string, string>> {
  if (!ids.length) return new Map()
  const r = await s.ec2.send(new s.ec2m.DescribeSubnetsCommand({Filters: [{Name: 'subnet-id', Values: ids}]})).catch((e) => fail(ctx, 'DescribeSubnets', e))
  return new Map((r.Subnets ?? []).map((x) => [x.SubnetId!, x.VpcId!]))
}

/** The VPC of the group's subnets (they must share one), or undefined for the default VPC. */
export async function vpcOf(ctx: ProviderContext, s: Sdk, spec: Spec): Promise<string | undefined> {
  const ids = subnetsOf(spec)
  const found = await subnetVpcs(ctx, s, ids)
  const missing = ids.filter((id) => !found.has(id))
  if (missing.length) throw new DopsError('INVALID_SPEC', `group ${ctx.group}: subnet ${missing.join(', ')} does not exist in this region`)
  const vpcs = [...new Set(found.values())]
  if (vpcs.length > 1) throw new DopsError('INVALID_SPEC', `group ${ctx.group}: its subnets are in different VPCs (${vpcs.join(', ')}); a group's instances share one security group, so one VPC`)
  return vpcs[0]
}

/**
 * Everything the spec refers to, checked before anything is made; every problem is listed in one error. Returns the
 * type and the image (for `create`).
 */
export async function preflightSpec(ctx: ProviderContext, s: Sdk, spec: Spec): Promise<{type: ResolvedType; image: ResolvedImage}> {
  const problems: string[] = volumeProblems(spec.storage)
  const guard = <T>(p: Promise<T>): Promise<T | undefined> =>
    p.catch((e: unknown) => {
      if (!(e instanceof DopsError) || e.code !== 'INVALID_SPEC') throw e
      problems.push((e as Error).message.replace(`group ${ctx.group}: `, ''))
      return undefined
    })
  if (!spec.image) problems.push('an aws instance needs `image` (an ami id or a name filter)')
  const type = await guard(resolveType(ctx, s, spec.size))
  const image = spec.image ? await guard(resolveImage(ctx, s, spec, type?.arch ?? [])) : undefined
  if (spec.image && type && !image) {
    const byId = /^ami-[0-9a-f]+$/.test(spec.image)
    problems.push(byId ? `image \`${spec.image}\` does not exist in this region` : `no image matches name \`${spec.image}\` among owners ${(spec.owners?.length ? spec.owners : DEFAULT_OWNERS).join(', ')} for architecture ${type.arch.join('/') || '(any)'}`)
  }
  if (image && type && image.arch && type.arch.length && !type.arch.includes(image.arch)) problems.push(`image \`${spec.image}\` is ${image.arch}, instance type ${type.name} runs ${type.arch.join('/')}`)
  const subnets = subnetsOf(spec)
  const found = await subnetVpcs(ctx, s, subnets)
  const noSubnet = subnets.filter((id) => !found.has(id))
  if (noSubnet.length) problems.push(`subnet ${noSubnet.join(', ')} does not exist in this region`)
  else if (new Set(found.values()).size > 1) problems.push(`its subnets are in different VPCs (${[...new Set(found.values())].join(', ')}); a group's instances share one security group, so one VPC`)
  if (spec.securityGroups?.length) {
    const r = await s.ec2.send(new s.ec2m.DescribeSecurityGroupsCommand({Filters: [{Name: 'group-id', Values: spec.securityGroups}]})).catch((e) => fail(ctx, 'DescribeSecurityGroups', e))
    const have = new Set((r.SecurityGroups ?? []).map((g) => g.GroupId))
    const missing = spec.securityGroups.filter((id) => !have.has(id))
    if (missing.length) problems.push(`security group ${missing.join(', ')} does not exist in this region`)
  }
  if (spec.keyPair) {
    const r = await s.ec2.send(new s.ec2m.DescribeKeyPairsCommand({Filters: [{Name: 'key-name', Values: [spec.keyPair]}]})).catch((e) => fail(ctx, 'DescribeKeyPairs', e))
    if (!(r.KeyPairs ?? []).some((k) => k.KeyName === spec.keyPair)) problems.push(`key pair \`${spec.keyPair}\` does not exist in this region`)
  }
  if (problems.length) throw new DopsError('INVALID_SPEC', `group ${ctx.group}: ${problems.join('; ')}`)
  return {type: type!, image: image!}
}

