/**
 * One load balancer brought to the plan: made when missing (in its subnets, with its own security group carrying
 * the plan's firewall, tagged with its identity), made again when its type or scheme changed (AWS cannot modify
 * those), else its subnets, security groups and idle timeout kept to the plan; then its target groups and listeners.
 */
import type {ResourceScope} from '../../env/resources.js'
import type {LbRecord} from '../../env/resources.js'
import {lbRecords} from '../../env/load-balancers.js'
import type {LoadBalancerSpec} from '../../plan/types.js'
import type {EnvState} from '../../state/local-file.js'
import type {ProviderContext} from '../types.js'
import {lbFirewall, lbScheme, lbType, seconds} from './elb-desired.js'
import {convergeListeners, retireTgs} from './elb-listeners.js'
import {lbTags, tagMismatch} from './elb-names.js'
import {awsTags, findLb, foreignError, lbNameOf, type Elb, type LoadBalancer} from './elb-sdk.js'
import {removeLb} from './elb-teardown.js'
import {convergeTgs} from './elb-tg.js'
import {syncRules} from './firewall.js'
import {subnetsOf} from './lookup.js'
import {DopsError, ExitCode} from '../../errors.js'
import {fail, nameOf, regionOf, tagKeys, type Spec} from './sdk.js'

/** The subnets: the plan's, else its target groups' groups', else the default VPC's; with their VPC. */
async function placement(ctx: ProviderContext, s: Elb, spec: LoadBalancerSpec, groups: Record<string, Record<string, unknown>>): Promise<{subnets: string[]; vpc: string | undefined}> {
  let subnets = spec.subnets ?? [...new Set(Object.values(spec.targetGroups ?? {}).flatMap((t) => subnetsOf((groups[t.group]?.instance ?? {}) as Spec)))]
  const filters = subnets.length ? [{Name: 'subnet-id', Values: subnets}] : [{Name: 'default-for-az', Values: ['true']}]
  const r = await s.ec2.send(new s.ec2m.DescribeSubnetsCommand({Filters: filters})).catch((e) => fail(ctx, 'DescribeSubnets', e))
  const found = r.Subnets ?? []
  const missing = subnets.filter((id) => !found.some((x) => x.SubnetId === id))
  if (missing.length) throw new DopsError('INVALID_SPEC', `load balancer ${ctx.group.slice(3)}: subnet ${missing.join(', ')} does not exist in region ${regionOf(ctx)}; nothing of it was created`, {exitCode: ExitCode.INVALID_INPUT})
  if (new Set(found.map((x) => x.VpcId)).size > 1) throw new DopsError('INVALID_SPEC', `load balancer ${ctx.group.slice(3)}: its subnets are in different VPCs (${[...new Set(found.map((x) => x.VpcId))].join(', ')})`, {exitCode: ExitCode.INVALID_INPUT})
  if (!subnets.length) subnets = found.map((x) => x.SubnetId!).sort()
  return {subnets, vpc: found[0]?.VpcId}
}

/** The load balancer's own security group (`dops-<project>-<env>-lb.<name>`), made when `apply` and missing. */
async function lbSecurityGroup(ctx: ProviderContext, s: Elb, vpc: string | undefined, apply: boolean): Promise<string | undefined> {
  const name = nameOf(ctx)
  const r = await s.ec2.send(new s.ec2m.DescribeSecurityGroupsCommand({Filters: [{Name: 'group-name', Values: [name]}, ...(vpc ? [{Name: 'vpc-id', Values: [vpc]}] : [])]})).catch((e) => fail(ctx, 'DescribeSecurityGroups', e))
  const found = r.SecurityGroups?.[0]
  if (found) {
    const have = Object.fromEntries((found.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']))
    const wrong = tagMismatch(lbTags(ctx.project, ctx.env, ctx.group.slice(3)), have)
    if (wrong.length) throw foreignError(`security group of load balancer ${ctx.group.slice(3)}`, name, wrong)
  }
  const id = found?.GroupId
  if (id || !apply) return id
  const {'dops:project': p, 'dops:env': e} = tagKeys(ctx)
  const made = await s.ec2
    .send(new s.ec2m.CreateSecurityGroupCommand({GroupName: name, VpcId: vpc, Description: `dops ${ctx.project}/${ctx.env} load balancer ${ctx.group.slice(3)}`, TagSpecifications: [{ResourceType: 'security-group', Tags: awsTags({'dops:project': p, 'dops:env': e, 'dops:lb': ctx.group.slice(3)})}]}))
    .catch((err) => fail(ctx, 'CreateSecurityGroup', err))
  return made.GroupId
}

async function idleTimeout(ctx: ProviderContext, s: Elb, arn: string): Promise<number> {
  const r = await s.elb.send(new s.elbm.DescribeLoadBalancerAttributesCommand({LoadBalancerArn: arn})).catch((e) => fail(ctx, 'DescribeLoadBalancerAttributes', e))
  return Number(r.Attributes?.find((a) => a.Key === 'idle_timeout.timeout_seconds')?.Value ?? 60)
}

export interface LbOutcome {
  lines: string[]
  record?: LbRecord
}

export async function convergeLb(s: ResourceScope, ctx: ProviderContext, e: Elb, name: string, spec: LoadBalancerSpec, provider: string, state: EnvState, apply: boolean): Promise<LbOutcome> {
  const prev = lbRecords(state)[name]
  const lines: string[] = []
  const groups = (s.loaded.plan.environments?.[s.envName]?.groups ?? {}) as Record<string, Record<string, unknown>>
  const type = lbType(spec)
  const scheme = lbScheme(spec)
  const app = type === 'application'
  let lb: LoadBalancer | undefined = await findLb(ctx, e)
  if (lb && (lb.Type !== type || lb.Scheme !== scheme)) {
    lines.push(`~ load balancer ${name}: ${lb.Type !== type ? `type ${lb.Type} -> ${type}` : `scheme ${lb.Scheme} -> ${scheme}`} (made again: AWS cannot change it)`)
    if (apply) await removeLb(ctx, e, lb.LoadBalancerArn!)
    lb = undefined
  } else if (!lb) lines.push(`+ load balancer ${name} (${type}, ${scheme})`)
  const where = await placement(ctx, e, spec, groups)
  // its own security group (application load balancers), with the plan's rules; the plan's others added
  const sg = app ? await lbSecurityGroup(ctx, e, where.vpc, apply) : undefined
  if (app && lb && !sg) lines.push(`+ load balancer ${name}: its security group ${nameOf(ctx)}`)
  if (sg) lines.push(...(await syncRules(ctx, e, sg, lbFirewall(spec), where.vpc, apply)).map((l) => `~ load balancer ${name}: ${l}`))
  const sgs = app ? [...(sg ? [sg] : []), ...(spec.securityGroups ?? [])] : []
  if (!lb && apply) {
    const r = await e.elb
      .send(new e.elbm.CreateLoadBalancerCommand({Name: lbNameOf(ctx), Type: type, Scheme: scheme, Subnets: where.subnets, ...(app ? {SecurityGroups: sgs} : {}), IpAddressType: 'ipv4', Tags: awsTags(lbTags(ctx.project, ctx.env, name))}))
      .catch((err) => fail(ctx, `CreateLoadBalancer ${lbNameOf(ctx)}`, err))
    lb = r.LoadBalancers![0]!
    if (app && seconds(spec.idleTimeout, 60) !== 60) await e.elb.send(new e.elbm.ModifyLoadBalancerAttributesCommand({LoadBalancerArn: lb.LoadBalancerArn, Attributes: [{Key: 'idle_timeout.timeout_seconds', Value: String(seconds(spec.idleTimeout, 60))}]})).catch((err) => fail(ctx, 'ModifyLoadBalancerAttributes', err))
  } else if (lb && lines.every((l) => !l.startsWith(`~ load balancer ${name}: type`) && !l.startsWith(`~ load balancer ${name}: scheme`))) {
    const have = (lb.AvailabilityZones ?? []).map((z) => z.SubnetId!).sort()
    if (spec.subnets && have.join() !== [...where.subnets].sort().join()) {
      lines.push(`~ load balancer ${name}: subnets ${have.join(', ')} -> ${[...where.subnets].sort().join(', ')}`)
      if (apply) await e.elb.send(new e.elbm.SetSubnetsCommand({LoadBalancerArn: lb.LoadBalancerArn, Subnets: where.subnets})).catch((err) => fail(ctx, 'SetSubnets', err))
    }
    const haveSgs = [...(lb.SecurityGroups ?? [])].sort()
    if (app && sg && haveSgs.join() !== [...sgs].sort().join()) {
      lines.push(`~ load balancer ${name}: security groups ${haveSgs.join(', ') || '(none)'} -> ${[...sgs].sort().join(', ')}`)
      if (apply) await e.elb.send(new e.elbm.SetSecurityGroupsCommand({LoadBalancerArn: lb.LoadBalancerArn, SecurityGroups: sgs})).catch((err) => fail(ctx, 'SetSecurityGroups', err))
    }
    const idle = app ? await idleTimeout(ctx, e, lb.LoadBalancerArn!) : 0
    if (app && idle !== seconds(spec.idleTimeout, 60)) {
      lines.push(`~ load balancer ${name}: idle timeout ${idle}s -> ${seconds(spec.idleTimeout, 60)}s`)
      if (apply) await e.elb.send(new e.elbm.ModifyLoadBalancerAttributesCommand({LoadBalancerArn: lb.LoadBalancerArn, Attributes: [{Key: 'idle_timeout.timeout_seconds', Value: String(seconds(spec.idleTimeout, 60))}]})).catch((err) => fail(ctx, 'ModifyLoadBalancerAttributes', err))
    }
  }
  const readyIds = (g: string) => (state.groups[g]?.instances ?? []).filter((i) => i.ready !== false).map((i) => i.id)
  const tgs = await convergeTgs(ctx, e, name, spec, where.vpc ?? lb?.VpcId, {...(lb ? {lbArn: lb.LoadBalancerArn!} : {}), groups, readyIds}, apply)
  lines.push(...tgs.lines)
  lines.push(...(await convergeListeners(ctx, e, name, lb?.LoadBalancerArn, spec, tgs.arns, apply)))
  const recorded = Object.values(prev?.targetGroups ?? {}).map((t) => t.arn!).filter(Boolean)
  lines.push(...(await retireTgs(ctx, e, name, [...Object.values(tgs.arns), ...tgs.replacing], recorded, apply)))
  if (!apply || !lb) return {lines}
  const record: LbRecord = {
    provider,
    type: 'aws',
    arn: lb.LoadBalancerArn!,
    dnsName: lb.DNSName!,
    zoneId: lb.CanonicalHostedZoneId!,
    ...(sg ? {securityGroup: sg} : {}),
    targetGroups: Object.fromEntries(Object.entries(spec.targetGroups).map(([k, t]) => [k, {arn: tgs.arns[k]!, group: t.group, port: t.port}])),
  }
  return {lines, record}
}
