/**
 * The `aws` provider: EC2 instances (or an Auto Scaling group with a launch template) tagged with the project,
 * environment and group, a security group per group carrying the plan's firewall rules (CIDRs, and references to
 * other groups' security groups), EBS volumes, image by id or name filter, size by type or `2C4G`. The SDK is
 * loaded only when an aws group is used. Credentials come from the SDK's default chain; region and an endpoint
 * override from the plan; throttled calls are retried by the SDK (standard mode, up to 8 attempts).
 * Addressing (documented): `public` uses the public IP when there is one, else the private one; `private` (default
 * when the provider says so) always the private IP; reaching private IPs from outside needs ssh.proxyJump.
 * The parts: sdk (clients, errors), lookup (types, images, ids), volumes, firewall, instances, create, teardown,
 * inspect (what the environment's diff needs beyond instances).
 */
import type {InstanceState} from '../../state/local-file.js'
import type {Provider, ProviderContext} from '../types.js'
import {createInstances} from './create.js'
import {findSecurityGroup, syncRules} from './firewall.js'
import {inspectGroup, type AwsGroupView} from './inspect.js'
import {describe, toState} from './instances.js'
import {preflightSpec, vpcOf} from './lookup.js'
import {sdk, type Spec} from './sdk.js'
import {destroyInstances, leftovers, teardown} from './teardown.js'

export {spreadOverSubnets} from './instances.js'

/** The group's firewall drift (`apply` false) or its correction (`apply` true); nothing before its group exists. */
async function firewallOf(ctx: ProviderContext, apply: boolean): Promise<string[]> {
  const s = await sdk(ctx)
  const spec = ctx.spec as Spec
  const vpc = await vpcOf(ctx, s, spec)
  const id = await findSecurityGroup(ctx, s, ctx.group, vpc)
  return id ? syncRules(ctx, s, id, spec.firewall, vpc, apply) : []
}

export interface AwsProvider extends Provider {
  discover(ctx: ProviderContext): Promise<InstanceState[]>
  /** env down's last step: removes everything tagged for the environment, fails naming what remains; returns what it removed */
  cleanup(ctx: ProviderContext): Promise<void>
  teardown(ctx: ProviderContext): Promise<string[]>
  /** what remains of the environment on EC2 (instances not terminated, Auto Scaling groups, launch templates, security groups) */
  leftovers(ctx: ProviderContext): Promise<string[]>
  /** the group's Auto Scaling group, launch template fingerprint (current and wanted) and stopped instances */
  inspect(ctx: ProviderContext): Promise<AwsGroupView>
  /** destroy, returning what was removed */
  remove(ctx: ProviderContext, instances: InstanceState[]): Promise<string[]>
}

export const awsProvider: AwsProvider = {
  type: 'aws',
  ignoredFields: () => [],

  async preflight(ctx) {
    await preflightSpec(ctx, await sdk(ctx), ctx.spec as Spec)
  },

  async cleanup(ctx) {
    await teardown(ctx, await sdk(ctx))
  },
  teardown: async (ctx) => teardown(ctx, await sdk(ctx)),
  leftovers: async (ctx) => leftovers(ctx, await sdk(ctx)),
  inspect: async (ctx) => inspectGroup(ctx, await sdk(ctx)),

  drift: (ctx) => firewallOf(ctx, false),
  reconcile: (ctx) => firewallOf(ctx, true),

  async discover(ctx) {
    return (await describe(ctx, await sdk(ctx))).map((i) => toState(ctx, i))
  },

  async alive(ctx, instances) {
    const live = new Set((await describe(ctx, await sdk(ctx))).map((i) => i.InstanceId))
    return instances.filter((i) => live.has(i.id))
  },

  create: async (ctx, count, existing) => createInstances(ctx, await sdk(ctx), count, existing),
  remove: async (ctx, instances) => destroyInstances(ctx, await sdk(ctx), instances),
  async destroy(ctx, instances) {
    await destroyInstances(ctx, await sdk(ctx), instances)
  },
}
