/**
 * A security group per group (`dops-<project>-<env>-<group>`) carrying the plan's firewall rules: CIDRs (IPv4 and
 * IPv6) and references to other groups' security groups. Rules are compared as keys, so drift is shown and fixed
 * rule by rule. ICMP rules allow every type and code.
 */
import type {ProviderContext} from '../types.js'
import {fail, nameOf, tagKeys, type Sdk, type Spec} from './sdk.js'

type IpPermission = import('@aws-sdk/client-ec2').IpPermission

/** One rule as a comparable key: `proto|from|to|cidr:X`, `v6:X` or `sg:ID`. */
export function ruleKeys(perms: IpPermission[]): string[] {
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
  const ports = proto === '-1' ? 'all traffic' : proto === 'icmp' ? 'icmp (all types)' : `${proto} ${from === to ? from : `${from}-${to}`}`
  const src = source.replace(/^(cidr|v6):/, '').replace(/^sg:(.*)$/, (_m, id: string) => `group:${names.get(id) ?? id}`)
  return `${ports} from ${src}`
}

/** The head of a rule's key: protocol and ports (ICMP: every type and code, -1/-1). */
export function ruleHead(r: {port: number | string; protocol?: string}): string {
  const proto = r.protocol === 'all' ? '-1' : (r.protocol ?? 'tcp')
  if (proto === '-1') return '-1|all|all'
  if (proto === 'icmp') return 'icmp|-1|-1'
  const [from, to] = typeof r.port === 'number' ? [r.port, r.port] : r.port.split('-').map(Number)
  return `${proto}|${from}|${to}`
}

/** The plan's rules as keys; `group:NAME` sources become that group's security group (made, empty, when `make`). */
async function desiredKeys(ctx: ProviderContext, s: Sdk, rules: Spec['firewall'], vpc: string | undefined, make: boolean, names: Map<string, string>): Promise<string[]> {
  const keys: string[] = []
  for (const r of rules ?? []) {
    const head = ruleHead(r)
    for (const src of r.from ?? []) {
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

export async function findSecurityGroup(ctx: ProviderContext, s: Sdk, group: string, vpc: string | undefined): Promise<string | undefined> {
  const found = await s.ec2.send(new s.ec2m.DescribeSecurityGroupsCommand({Filters: [{Name: 'group-name', Values: [nameOf(ctx, group)]}, ...(vpc ? [{Name: 'vpc-id', Values: [vpc]}] : [])]})).catch((e) => fail(ctx, 'DescribeSecurityGroups', e))
  return found.SecurityGroups?.[0]?.GroupId
}

/**
 * Make the security group's inbound rules exactly the plan's: what is missing is authorized, what the plan no longer
 * has is revoked (when `apply`), one rule per call so a rule that exists never blocks the others. Returns the changes.
 */
export async function syncRules(ctx: ProviderContext, s: Sdk, id: string, rules: Spec['firewall'], vpc: string | undefined, apply: boolean): Promise<string[]> {
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

/** The group's security group, created when missing (a referenced group's one too, empty), with the plan's rules. */
export async function securityGroup(ctx: ProviderContext, s: Sdk, group: string, rules: Spec['firewall'], vpc: string | undefined): Promise<string> {
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
