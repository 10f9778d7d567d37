/** The group's instances: found by their tags, read into the state's records, waited for until they run. */
import type {InstanceState} from '../../state/local-file.js'
import type {ProviderContext} from '../types.js'
import {envFilters, fail, settingsOf, waitSeconds, type Sdk} from './sdk.js'

type Instance = import('@aws-sdk/client-ec2').Instance

/** States of an instance that runs (`alive`); a stopped one still exists and costs its volumes (NOT_GONE, `discover`). */
export const LIVE = ['pending', 'running']
export const EXISTING = ['pending', 'running', 'stopping', 'stopped']
export const NOT_GONE = ['pending', 'running', 'shutting-down', 'stopping', 'stopped']

export function toState(ctx: ProviderContext, i: Instance): InstanceState {
  const addressing = settingsOf(ctx).addressing ?? 'public'
  const address = addressing === 'private' ? i.PrivateIpAddress : (i.PublicIpAddress ?? i.PrivateIpAddress)
  return {id: i.InstanceId!, name: `${ctx.group}-${i.InstanceId!.slice(-8)}`, address: address ?? '', port: 22, user: '', createdAt: (i.LaunchTime ?? new Date()).toString(), data: {instanceId: i.InstanceId, type: i.InstanceType, image: i.ImageId, subnet: i.SubnetId, zone: i.Placement?.AvailabilityZone, privateIp: i.PrivateIpAddress, publicIp: i.PublicIpAddress}}
}

/** The instances tagged for the group (or, `group` false, for the whole environment) in the given states. */
export async function describe(ctx: ProviderContext, s: Sdk, states = LIVE, group: string | false = ctx.group): Promise<Instance[]> {
  const out: Instance[] = []
  let token: string | undefined
  for (let page = 0; page < 100; page++) {
    const r = await s.ec2.send(new s.ec2m.DescribeInstancesCommand({NextToken: token, Filters: [...envFilters(ctx, group || undefined), {Name: 'instance-state-name', Values: states}]})).catch((e) => fail(ctx, 'DescribeInstances', e))
    for (const res of r.Reservations ?? []) out.push(...(res.Instances ?? []))
    token = r.NextToken
    if (!token) break
  }
  return out
}

/** Wait (the SDK's waiter, bounded) until the instances run, then read them again: addresses come with `running`. */
export async function running(ctx: ProviderContext, s: Sdk, ids: string[]): Promise<InstanceState[]> {
  if (!ids.length) return []
  await s.ec2m.waitUntilInstanceRunning({client: s.ec2, maxWaitTime: waitSeconds(ctx, 'run'), minDelay: 2, maxDelay: 10}, {InstanceIds: ids}).catch((e) => fail(ctx, 'waiting for the instances to run', e))
  const d = await s.ec2.send(new s.ec2m.DescribeInstancesCommand({InstanceIds: ids})).catch((e) => fail(ctx, 'DescribeInstances', e))
  return (d.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((x) => toState(ctx, x))
}

/** Wait (the SDK's waiter, bounded by deleteTimeout) until the instances are terminated. */
export async function terminated(ctx: ProviderContext, s: Sdk, ids: string[]): Promise<void> {
  if (!ids.length) return
  await s.ec2m.waitUntilInstanceTerminated({client: s.ec2, maxWaitTime: waitSeconds(ctx, 'delete'), minDelay: 1, maxDelay: 10}, {InstanceIds: ids}).catch((e) => fail(ctx, 'waiting for the instances to terminate', e))
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

/** Of these recorded instances, the ones EC2 has stopping or stopped (read once, by id). */
export async function stoppedOf(ctx: ProviderContext, s: Sdk, recorded: InstanceState[]): Promise<InstanceState[]> {
  const states = await stateOf(ctx, s, recorded.map((r) => r.id))
  return recorded.filter((r) => ['stopping', 'stopped'].includes(states.get(r.id) ?? ''))
}

async function stateOf(ctx: ProviderContext, s: Sdk, ids: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  for (let i = 0; i < ids.length; i += 200) {
    let token: string | undefined
    for (let page = 0; page < 100; page++) {
      const r = await s.ec2.send(new s.ec2m.DescribeInstancesCommand({NextToken: token, Filters: [{Name: 'instance-id', Values: ids.slice(i, i + 200)}]})).catch((e) => fail(ctx, 'DescribeInstances', e))
      for (const x of (r.Reservations ?? []).flatMap((res) => res.Instances ?? [])) out.set(x.InstanceId!, String(x.State?.Name))
      token = r.NextToken
      if (!token) break
    }
  }
  return out
}

/**
 * Start stopped instances: one still stopping is waited for until stopped (EC2 starts only those), then
 * StartInstances and the SDK's waiter until they run (bounded by sshTimeout). Returns their records with the
 * addresses they have now (a public IP changes across a stop).
 */
export async function startInstances(ctx: ProviderContext, s: Sdk, recorded: InstanceState[]): Promise<InstanceState[]> {
  if (!recorded.length) return []
  const ids = recorded.map((r) => r.id)
  const states = await stateOf(ctx, s, ids)
  const stopping = ids.filter((id) => states.get(id) === 'stopping')
  if (stopping.length) await s.ec2m.waitUntilInstanceStopped({client: s.ec2, maxWaitTime: waitSeconds(ctx, 'run'), minDelay: 2, maxDelay: 10}, {InstanceIds: stopping}).catch((e) => fail(ctx, 'waiting for the instances to stop', e))
  const toStart = ids.filter((id) => ['stopping', 'stopped'].includes(states.get(id) ?? ''))
  for (let i = 0; i < toStart.length; i += 100) await s.ec2.send(new s.ec2m.StartInstancesCommand({InstanceIds: toStart.slice(i, i + 100)})).catch((e) => fail(ctx, 'StartInstances', e))
  const now = await running(ctx, s, ids)
  return recorded.map((r) => {
    const n = now.find((x) => x.id === r.id)
    return n ? {...r, address: n.address, data: {...r.data, ...n.data}} : r
  })
}
