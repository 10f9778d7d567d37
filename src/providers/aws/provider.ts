/**
 * The `aws` provider: EC2 instances (or an Auto Scaling group with a launch template) tagged with the project,
 * environment and group, a security group per group carrying the plan's firewall rules (CIDRs, and references to
 * other groups' security groups), EBS volumes, image by id or name filter, size by type or `2C4G`. The SDK is
 * loaded only when an aws group is used. Credentials come from the SDK's default chain; region and an endpoint
 * override from the plan; throttled calls are retried by the SDK (standard mode, up to 8 attempts).
 * Addressing (documented): `public` uses the public IP when there is one, else the private one; `private` (default
 * when the provider says so) always the private IP; reaching private IPs from outside needs ssh.proxyJump.
 */
import {DopsError, ExitCode} from '../../errors.js'
import type {InstanceState} from '../../state/local-file.js'
import {PartialCreateError, type Provider, type ProviderContext} from '../types.js'
import {parseDuration} from '../../util/duration.js'
import {parseSize, pickInstanceType, type TypeInfo} from './size.js'

type Ec2 = typeof import('@aws-sdk/client-ec2')
type Asg = typeof import('@aws-sdk/client-auto-scaling')

interface Spec {
  count?: number
  image?: string
  size?: string
  storage?: Array<{device?: string; size: string; type?: string}>
  firewall?: Array<{port: number | string; protocol?: string; from?: string[]}>
  subnet?: string
  subnets?: string[]
  securityGroups?: string[]
  keyPair?: string
  autoScaling?: {min?: number; max?: number; desired?: number}
  tags?: Record<string, string | number | boolean>
}

const tagKeys = (ctx: ProviderContext) => ({'dops:project': ctx.project, 'dops:env': ctx.env, 'dops:group': ctx.group})
const nameOf = (ctx: ProviderContext, group = ctx.group) => `dops-${ctx.project}-${ctx.env}-${group}`

async function sdk(ctx: ProviderContext) {
  const ec2m: Ec2 = await import('@aws-sdk/client-ec2')
  const asgm: Asg = await import('@aws-sdk/client-auto-scaling')
  const s = ctx.settings as {region?: string; endpoint?: string; profile?: string}
  const conf = {region: s.region ?? process.env.AWS_REGION ?? 'us-east-1', endpoint: s.endpoint, profile: s.profile, maxAttempts: 8, retryMode: 'standard'}
  return {ec2m, asgm, ec2: new ec2m.EC2Client(conf), asg: new asgm.AutoScalingClient(conf)}
}

function fail(ctx: ProviderContext, what: string, e: unknown): never {
  const err = e as {name?: string; message?: string}
  throw new DopsError('PROVIDER_ERROR', `aws (group ${ctx.group}): ${what} failed: ${err.name ?? 'Error'}: ${err.message ?? String(e)}`, {exitCode: ExitCode.DEPLOY_FAILED})
}

async function resolveImage(ctx: ProviderContext, s: Awaited<ReturnType<typeof sdk>>, image?: string): Promise<string> {
  if (!image) throw new DopsError('INVALID_SPEC', `group ${ctx.group}: an aws instance needs \`image\` (an ami id or a name filter)`)
  if (/^ami-[0-9a-f]+$/.test(image)) return image
  const r = await s.ec2.send(new s.ec2m.DescribeImagesCommand({Filters: [{Name: 'name', Values: [image]}]})).catch((e) => fail(ctx, 'DescribeImages', e))
  const newest = (r.Images ?? []).sort((a, b) => String(b.CreationDate ?? '').localeCompare(String(a.CreationDate ?? '')))[0]
  if (!newest?.ImageId) throw new DopsError('INVALID_SPEC', `group ${ctx.group}: no image matches name \`${image}\``)
  return newest.ImageId
}

async function resolveType(ctx: ProviderContext, s: Awaited<ReturnType<typeof sdk>>, size = 't3.micro'): Promise<string> {
  const want = parseSize(size)
  const types: TypeInfo[] = []
  let token: string | undefined
  for (let page = 0; page < 100; page++) {
    const r = await s.ec2.send(new s.ec2m.DescribeInstanceTypesCommand({NextToken: token, ...('type' in want ? {InstanceTypes: [want.type as never]} : {})})).catch((e) => {
      if ('type' in want) throw new DopsError('INVALID_SPEC', `group ${ctx.group}: instance type \`${want.type}\` does not exist in this region`)
      return fail(ctx, 'DescribeInstanceTypes', e)
    })
    for (const t of r.InstanceTypes ?? []) types.push({name: String(t.InstanceType), vcpus: t.VCpuInfo?.DefaultVCpus ?? 0, memoryMiB: t.MemoryInfo?.SizeInMiB ?? 0})
    token = r.NextToken
    if (!token) break
  }
  if ('type' in want) {
    if (!types.some((t) => t.name === want.type)) throw new DopsError('INVALID_SPEC', `group ${ctx.group}: instance type \`${want.type}\` does not exist in this region`)
    return want.type
  }
  const pick = pickInstanceType(types, want.vcpus, want.memoryGiB)
  if (!pick) throw new DopsError('INVALID_SPEC', `group ${ctx.group}: no instance type has ${want.vcpus} vCPUs and ${want.memoryGiB} GiB (size ${size})`)
  return pick.name
}

const subnetsOf = (spec: Spec): string[] => [...new Set([...(spec.subnet ? [spec.subnet] : []), ...(spec.subnets ?? [])])]

/** The VPC of the group's subnets (they must share one), or undefined for the default VPC. */
async function vpcOf(ctx: ProviderContext, s: Awaited<ReturnType<typeof sdk>>, spec: Spec): Promise<string | undefined> {
  const ids = subnetsOf(spec)
  if (!ids.length) return undefined
  const r = await s.ec2.send(new s.ec2m.DescribeSubnetsCommand({SubnetIds: ids})).catch((e: {name?: string; message?: string}) => {
    if (String(e.name).startsWith('InvalidSubnet')) throw new DopsError('INVALID_SPEC', `group ${ctx.group}: ${e.message ?? 'a subnet does not exist'} (subnets: ${ids.join(', ')})`)
    return fail(ctx, 'DescribeSubnets', e)
  })
  const found = new Map((r.Subnets ?? []).map((x) => [x.SubnetId!, x.VpcId!]))
  const missing = ids.filter((id) => !found.has(id))
  if (missing.length) throw new DopsError('INVALID_SPEC', `group ${ctx.group}: subnet ${missing.join(', ')} does not exist in this region`)
  const vpcs = [...new Set(found.values())]
  if (vpcs.length > 1) throw new DopsError('INVALID_SPEC', `group ${ctx.group}: its subnets are in different VPCs (${vpcs.join(', ')}); a group's instances share one security group, so one VPC`)
  return vpcs[0]
}

/** How many of `count` new instances go to each subnet: the ones with the fewest instances first (spread). */
export function spreadOverSubnets(subnets: string[], existing: Array<string | undefined>, count: number): Map<string, number> {
  const load = new Map(subnets.map((id) => [id, existing.filter((e) => e === id).length]))
  const out = new Map<string, number>()
  for (let i = 0; i < count; i++) {
    const next = [...load.entries()].sort((a, b) => a[1] - b[1] || subnets.indexOf(a[0]) - subnets.indexOf(b[0]))[0]![0]
    load.set(next, load.get(next)! + 1)
    out.set(next, (out.get(next) ?? 0) + 1)
  }
  return out
}

type IpPermission = import('@aws-sdk/client-ec2').IpPermission

/** One rule as a comparable key: `proto|from|to|cidr:X`, `v6:X` or `sg:ID`. */
function ruleKeys(perms: IpPermission[]): string[] {
  const out: string[] = []
  for (const p of perms) {
    const proto = p.IpProtocol ?? 'tcp'
    const [from, to] = proto === '-1' ? ['all', 'all'] : [String(p.FromPort), String(p.ToPort)]
    const head = `${proto}|${from}|${to}`
    for (const r of p.IpRanges ?? []) out.push(`${head}|cidr:${r.CidrIp}`)
    for (const r of p.Ipv6Ranges ?? []) out.push(`${head}|v6:${r.CidrIpv6}`)
    for (const r of p.UserIdGroupPairs ?? []) out.push(`${head}|sg:${r.GroupId}`)
  }
  return out
}

function keyToPermission(key: string): IpPermission {
  const [proto, from, to, source] = key.split('|') as [string, string, string, string]
  const [kind, value] = [source.slice(0, source.indexOf(':')), source.slice(source.indexOf(':') + 1)]
  return {
    IpProtocol: proto,
    ...(proto === '-1' ? {} : {FromPort: Number(from), ToPort: Number(to)}),
    ...(kind === 'cidr' ? {IpRanges: [{CidrIp: value}]} : kind === 'v6' ? {Ipv6Ranges: [{CidrIpv6: value}]} : {UserIdGroupPairs: [{GroupId: value}]}),
  }
}

function describeKey(key: string, names: Map<string, string>): string {
  const [proto, from, to, source] = key.split('|') as [string, string, string, string]
  const ports = proto === '-1' ? 'all traffic' : `${proto} ${from === to ? from : `${from}-${to}`}`
  const src = source.replace(/^(cidr|v6):/, '').replace(/^sg:(.*)$/, (_m, id: string) => `group:${names.get(id) ?? id}`)
  return `${ports} from ${src}`
}

/** The plan's rules as keys; `group:NAME` sources become that group's security group (made, empty, when `make`). */
async function desiredKeys(ctx: ProviderContext, s: Awaited<ReturnType<typeof sdk>>, rules: Spec['firewall'], vpc: string | undefined, make: boolean, names: Map<string, string>): Promise<string[]> {
  const keys: string[] = []
  for (const r of rules ?? []) {
    const [from, to] = typeof r.port === 'number' ? [r.port, r.port] : r.port.split('-').map(Number)
    const proto = r.protocol === 'all' ? '-1' : (r.protocol ?? 'tcp')
    const head = proto === '-1' ? `${proto}|all|all` : `${proto}|${from}|${to}`
    for (const src of r.from ?? ['0.0.0.0/0']) {
      if (src.startsWith('group:')) {
        const id = make ? await securityGroup(ctx, s, src.slice(6), [], vpc) : await findSecurityGroup(ctx, s, src.slice(6), vpc)
        const ref = id ?? `(${src.slice(6)} not created yet)`
        names.set(ref, src.slice(6))
        keys.push(`${head}|sg:${ref}`)
      } else keys.push(`${head}|${src.includes(':') ? 'v6' : 'cidr'}:${src}`)
    }
  }
  return [...new Set(keys)]
}

async function findSecurityGroup(ctx: ProviderContext, s: Awaited<ReturnType<typeof sdk>>, group: string, vpc: string | undefined): Promise<string | undefined> {
  const found = await s.ec2.send(new s.ec2m.DescribeSecurityGroupsCommand({Filters: [{Name: 'group-name', Values: [nameOf(ctx, group)]}, ...(vpc ? [{Name: 'vpc-id', Values: [vpc]}] : [])]})).catch((e) => fail(ctx, 'DescribeSecurityGroups', e))
  return found.SecurityGroups?.[0]?.GroupId
}

/**
 * Make the security group's inbound rules exactly the plan's: what is missing is authorized, what the plan no longer
 * has is revoked (when `apply`), one rule per call so a rule that exists never blocks the others. Returns the changes.
 */
async function syncRules(ctx: ProviderContext, s: Awaited<ReturnType<typeof sdk>>, id: string, rules: Spec['firewall'], vpc: string | undefined, apply: boolean): Promise<string[]> {
  const names = new Map<string, string>()
  const desired = await desiredKeys(ctx, s, rules, vpc, apply, names)
  const cur = await s.ec2.send(new s.ec2m.DescribeSecurityGroupsCommand({GroupIds: [id]})).catch((e) => fail(ctx, 'DescribeSecurityGroups', e))
  const existing = ruleKeys(cur.SecurityGroups?.[0]?.IpPermissions ?? [])
  const add = desired.filter((k) => !existing.includes(k))
  const remove = existing.filter((k) => !desired.includes(k))
  if (apply) {
    for (const k of add) {
      await s.ec2.send(new s.ec2m.AuthorizeSecurityGroupIngressCommand({GroupId: id, IpPermissions: [keyToPermission(k)]})).catch((e: {name?: string}) => {
        if (e.name !== 'InvalidPermission.Duplicate') fail(ctx, 'AuthorizeSecurityGroupIngress', e)
      })
    }
    for (const k of remove) await s.ec2.send(new s.ec2m.RevokeSecurityGroupIngressCommand({GroupId: id, IpPermissions: [keyToPermission(k)]})).catch((e) => fail(ctx, 'RevokeSecurityGroupIngress', e))
  }
  return [...add.map((k) => `firewall +${describeKey(k, names)}`), ...remove.map((k) => `firewall -${describeKey(k, names)}`)]
}

/** The group's firewall drift (`apply` false) or its correction (`apply` true); nothing before its group exists. */
async function firewallOf(ctx: ProviderContext, apply: boolean): Promise<string[]> {
  const s = await sdk(ctx)
  const spec = ctx.spec as Spec
  const vpc = await vpcOf(ctx, s, spec)
  const id = await findSecurityGroup(ctx, s, ctx.group, vpc)
  return id ? syncRules(ctx, s, id, spec.firewall, vpc, apply) : []
}

/** The group's security group, created when missing (a referenced group's one too, empty), with the plan's rules. */
async function securityGroup(ctx: ProviderContext, s: Awaited<ReturnType<typeof sdk>>, group: string, rules: Spec['firewall'], vpc: string | undefined): Promise<string> {
  let id = await findSecurityGroup(ctx, s, group, vpc)
  if (!id) {
    const r = await s.ec2
      .send(new s.ec2m.CreateSecurityGroupCommand({GroupName: nameOf(ctx, group), VpcId: vpc, Description: `dops ${ctx.project}/${ctx.env}/${group}`, TagSpecifications: [{ResourceType: 'security-group', Tags: Object.entries({...tagKeys(ctx), 'dops:group': group}).map(([Key, Value]) => ({Key, Value}))}]}))
      .catch((e) => fail(ctx, 'CreateSecurityGroup', e))
    id = r.GroupId!
  }
  // a referenced group's security group is only made here; its own rules come with its own group
  if (group === ctx.group) await syncRules(ctx, s, id, rules, vpc, true)
  return id
}

function toState(ctx: ProviderContext, i: import('@aws-sdk/client-ec2').Instance): InstanceState {
  const addressing = (ctx.settings as {addressing?: string}).addressing ?? 'public'
  const address = addressing === 'private' ? i.PrivateIpAddress : (i.PublicIpAddress ?? i.PrivateIpAddress)
  return {id: i.InstanceId!, name: `${ctx.group}-${i.InstanceId!.slice(-8)}`, address: address ?? '', port: 22, user: '', createdAt: (i.LaunchTime ?? new Date()).toString(), data: {instanceId: i.InstanceId, type: i.InstanceType, image: i.ImageId, subnet: i.SubnetId, zone: i.Placement?.AvailabilityZone, privateIp: i.PrivateIpAddress, publicIp: i.PublicIpAddress}}
}

async function describe(ctx: ProviderContext, s: Awaited<ReturnType<typeof sdk>>): Promise<import('@aws-sdk/client-ec2').Instance[]> {
  const out: import('@aws-sdk/client-ec2').Instance[] = []
  let token: string | undefined
  for (let page = 0; page < 100; page++) {
    const r = await s.ec2
      .send(new s.ec2m.DescribeInstancesCommand({NextToken: token, Filters: [...Object.entries(tagKeys(ctx)).map(([k, v]) => ({Name: `tag:${k}`, Values: [v]})), {Name: 'instance-state-name', Values: ['pending', 'running']}]}))
      .catch((e) => fail(ctx, 'DescribeInstances', e))
    for (const res of r.Reservations ?? []) out.push(...(res.Instances ?? []))
    token = r.NextToken
    if (!token) break
  }
  return out
}

/** Wait (the SDK's waiter, bounded) until the instances run, then read them again: addresses come with `running`. */
async function running(ctx: ProviderContext, s: Awaited<ReturnType<typeof sdk>>, ids: string[]): Promise<InstanceState[]> {
  if (!ids.length) return []
  const maxWaitTime = Math.max(30, Math.round((parseDuration(String((ctx.settings as {sshTimeout?: string}).sshTimeout ?? '5m')) ?? 300_000) / 1000))
  await s.ec2m.waitUntilInstanceRunning({client: s.ec2, maxWaitTime, minDelay: 2, maxDelay: 10}, {InstanceIds: ids}).catch((e) => fail(ctx, 'waiting for the instances to run', e))
  const d = await s.ec2.send(new s.ec2m.DescribeInstancesCommand({InstanceIds: ids})).catch((e) => fail(ctx, 'DescribeInstances', e))
  return (d.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((x) => toState(ctx, x))
}

export const awsProvider: Provider & {discover(ctx: ProviderContext): Promise<InstanceState[]>} = {
  type: 'aws',
  ignoredFields: () => [],

  async preflight(ctx) {
    const s = await sdk(ctx)
    const spec = ctx.spec as Spec
    await resolveImage(ctx, s, spec.image)
    await resolveType(ctx, s, spec.size)
    await vpcOf(ctx, s, spec)
    if (spec.keyPair)
      await s.ec2.send(new s.ec2m.DescribeKeyPairsCommand({KeyNames: [spec.keyPair]})).catch((e: {name?: string}) => {
        if (String(e.name).startsWith('InvalidKeyPair')) throw new DopsError('INVALID_SPEC', `group ${ctx.group}: key pair \`${spec.keyPair}\` does not exist in this region`)
        return fail(ctx, 'DescribeKeyPairs', e)
      })
  },

  async cleanup(ctx) {
    const s = await sdk(ctx)
    const sgs = await s.ec2.send(new s.ec2m.DescribeSecurityGroupsCommand({Filters: [{Name: 'tag:dops:project', Values: [ctx.project]}, {Name: 'tag:dops:env', Values: [ctx.env]}]})).catch((e) => fail(ctx, 'DescribeSecurityGroups', e))
    // rules that reference other groups first, then the groups themselves
    for (const g of sgs.SecurityGroups ?? []) if (g.IpPermissions?.length) await s.ec2.send(new s.ec2m.RevokeSecurityGroupIngressCommand({GroupId: g.GroupId, IpPermissions: g.IpPermissions})).catch(() => undefined)
    for (const g of sgs.SecurityGroups ?? []) await s.ec2.send(new s.ec2m.DeleteSecurityGroupCommand({GroupId: g.GroupId})).catch((e) => fail(ctx, 'DeleteSecurityGroup', e))
  },

  drift: (ctx) => firewallOf(ctx, false),
  reconcile: (ctx) => firewallOf(ctx, true),

  async discover(ctx) {
    return (await describe(ctx, await sdk(ctx))).map((i) => toState(ctx, i))
  },

  async alive(ctx, instances) {
    const live = new Set((await describe(ctx, await sdk(ctx))).map((i) => i.InstanceId))
    return instances.filter((i) => live.has(i.id))
  },

  async create(ctx, count, existing) {
    const s = await sdk(ctx)
    const spec = ctx.spec as Spec
    const ImageId = await resolveImage(ctx, s, spec.image)
    const InstanceType = (await resolveType(ctx, s, spec.size)) as never
    const subnets = subnetsOf(spec)
    const sg = await securityGroup(ctx, s, ctx.group, spec.firewall, await vpcOf(ctx, s, spec))
    const SecurityGroupIds = [sg, ...(spec.securityGroups ?? [])]
    const tags = Object.entries({...Object.fromEntries(Object.entries(spec.tags ?? {}).map(([k, v]) => [k, String(v)])), ...tagKeys(ctx)}).map(([Key, Value]) => ({Key, Value}))
    const BlockDeviceMappings = (spec.storage ?? []).map((v, i) => ({DeviceName: v.device ?? (i === 0 ? '/dev/xvda' : `/dev/xvd${String.fromCharCode(98 + i)}`), Ebs: {VolumeSize: Number(v.size.replace(/G$/, '')), VolumeType: (v.type ?? 'gp3') as never, DeleteOnTermination: true}}))
    if (spec.autoScaling) {
      const name = nameOf(ctx)
      const lt = await s.ec2.send(new s.ec2m.DescribeLaunchTemplatesCommand({LaunchTemplateNames: [name]})).catch(() => undefined)
      if (!lt?.LaunchTemplates?.length)
        await s.ec2
          .send(new s.ec2m.CreateLaunchTemplateCommand({LaunchTemplateName: name, LaunchTemplateData: {ImageId, InstanceType, KeyName: spec.keyPair, SecurityGroupIds, BlockDeviceMappings, TagSpecifications: [{ResourceType: 'instance', Tags: tags}]}}))
          .catch((e) => fail(ctx, 'CreateLaunchTemplate', e))
      const desired = existing.length + count
      const found = await s.asg.send(new s.asgm.DescribeAutoScalingGroupsCommand({AutoScalingGroupNames: [name]})).catch((e) => fail(ctx, 'DescribeAutoScalingGroups', e))
      if (!found.AutoScalingGroups?.length) {
        await s.asg
          .send(new s.asgm.CreateAutoScalingGroupCommand({AutoScalingGroupName: name, LaunchTemplate: {LaunchTemplateName: name, Version: '$Latest'}, MinSize: Math.min(spec.autoScaling.min ?? 0, desired), MaxSize: Math.max(spec.autoScaling.max ?? desired, desired), DesiredCapacity: desired, VPCZoneIdentifier: subnets.length ? subnets.join(',') : undefined, AvailabilityZones: subnets.length ? undefined : [`${(ctx.settings as {region?: string}).region ?? 'us-east-1'}a`], Tags: tags.map((t) => ({...t, PropagateAtLaunch: true}))}))
          .catch((e) => fail(ctx, 'CreateAutoScalingGroup', e))
      } else {
        await s.asg.send(new s.asgm.UpdateAutoScalingGroupCommand({AutoScalingGroupName: name, DesiredCapacity: desired, MaxSize: Math.max(found.AutoScalingGroups[0]!.MaxSize ?? desired, desired)})).catch((e) => fail(ctx, 'UpdateAutoScalingGroup', e))
      }
      // the group launches them: wait (bounded) until it reports them, then read their addresses
      for (let i = 0; i < 60; i++) {
        const g = await s.asg.send(new s.asgm.DescribeAutoScalingGroupsCommand({AutoScalingGroupNames: [name]}))
        const ids = (g.AutoScalingGroups?.[0]?.Instances ?? []).map((x) => x.InstanceId!)
        if (ids.length >= desired) {
          const have = new Set(existing.map((e) => e.id))
          const fresh = ids.filter((id) => !have.has(id))
          return running(ctx, s, fresh)
        }
        await new Promise((r) => setTimeout(r, 1000))
      }
      throw new DopsError('PROVIDER_ERROR', `aws (group ${ctx.group}): the Auto Scaling group did not reach ${desired} instances in 60 s`)
    }
    // spread over the subnets (availability zones): the ones with the fewest of the group's instances first
    const plan = subnets.length ? spreadOverSubnets(subnets, existing.map((e) => e.data.subnet as string | undefined), count) : new Map([[undefined as string | undefined, count]])
    const ids: string[] = []
    for (const [SubnetId, n] of plan) {
      const r = await s.ec2
        .send(new s.ec2m.RunInstancesCommand({ImageId, InstanceType, MinCount: n, MaxCount: n, KeyName: spec.keyPair, SubnetId, SecurityGroupIds, BlockDeviceMappings: BlockDeviceMappings.length ? BlockDeviceMappings : undefined, TagSpecifications: [{ResourceType: 'instance', Tags: [...tags, {Key: 'Name', Value: nameOf(ctx)}]}]}))
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
  },

  async destroy(ctx, instances) {
    const s = await sdk(ctx)
    const spec = ctx.spec as Spec
    if (spec.autoScaling) {
      const name = nameOf(ctx)
      const found = await s.asg.send(new s.asgm.DescribeAutoScalingGroupsCommand({AutoScalingGroupNames: [name]})).catch((e) => fail(ctx, 'DescribeAutoScalingGroups', e))
      const members = found.AutoScalingGroups?.[0]?.Instances ?? []
      if (members.every((m) => instances.some((i) => i.id === m.InstanceId))) {
        await s.asg.send(new s.asgm.DeleteAutoScalingGroupCommand({AutoScalingGroupName: name, ForceDelete: true})).catch((e: {name?: string}) => e.name === 'ValidationError' || fail(ctx, 'DeleteAutoScalingGroup', e))
        await s.ec2.send(new s.ec2m.DeleteLaunchTemplateCommand({LaunchTemplateName: name})).catch(() => undefined)
      } else {
        for (const i of instances) await s.asg.send(new s.asgm.TerminateInstanceInAutoScalingGroupCommand({InstanceId: i.id, ShouldDecrementDesiredCapacity: true})).catch((e) => fail(ctx, 'TerminateInstanceInAutoScalingGroup', e))
        return
      }
    }
    const ids = instances.map((i) => i.id)
    if (ids.length) await s.ec2.send(new s.ec2m.TerminateInstancesCommand({InstanceIds: ids})).catch((e) => fail(ctx, 'TerminateInstances', e))
    // the group's security group goes with its last instance
    if ((await describe(ctx, s)).length === 0) {
      const sg = await s.ec2.send(new s.ec2m.DescribeSecurityGroupsCommand({Filters: [{Name: 'group-name', Values: [nameOf(ctx)]}]}))
      for (const g of sg.SecurityGroups ?? []) await s.ec2.send(new s.ec2m.DeleteSecurityGroupCommand({GroupId: g.GroupId})).catch(() => undefined)
    }
  },
}
