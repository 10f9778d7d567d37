/**
 * In-place changes of a group (`drift` lists them for `env plan`, `reconcile` applies them in `env up` and returns
 * what it changed): firewall rules; the plan's tags on the instances and the Auto Scaling group; the Auto Scaling
 * bounds; a launch template that is not the plan's (a new default version); an Auto Scaling group the plan no longer
 * has (detached and deleted: its instances stay) or one the plan now has around plain instances (made, and they are
 * attached). What only a new instance fixes (size, image, storage) is `outdated` (outdated.ts).
 */
import type {ProviderContext} from '../types.js'
import {applyBounds, boundsLine, makeAsg, planBounds, removeAsg, useLatest} from './autoscaling.js'
import {findSecurityGroup, syncRules} from './firewall.js'
import {describe} from './instances.js'
import {vpcOf} from './lookup.js'
import {fail, nameOf, type Sdk, type Spec} from './sdk.js'
import {applyToAsg, applyToInstances, instanceTags, tagChange, tagLines, type TagChange} from './tags.js'
import {ensureTemplate, templateData, templateLine, templateVersions, wantedData} from './template.js'
import {findAsgs} from './teardown.js'

/** Instances whose tags dops keeps: every one of the group that is not going away. */
const TAGGED = ['pending', 'running', 'stopping', 'stopped']

export async function converge(ctx: ProviderContext, s: Sdk, apply: boolean): Promise<string[]> {
  const spec = ctx.spec as Spec
  const vpc = await vpcOf(ctx, s, spec)
  const sg = await findSecurityGroup(ctx, s, ctx.group, vpc)
  // nothing of the group exists yet: `create` makes it as the plan says
  if (!sg) return []
  const out = await syncRules(ctx, s, sg, spec.firewall, vpc, apply)
  const name = nameOf(ctx)
  let [g] = await findAsgs(ctx, s, [name])
  const instances = await describe(ctx, s, TAGGED)

  // an Auto Scaling group the plan no longer has: deleted, its instances stay as the group's plain instances
  if (g && !spec.autoScaling) {
    out.push(`delete auto scaling group ${name} (its ${g.Instances?.length ?? 0} instances stay as the group's instances)`)
    if (apply) await removeAsg(ctx, s, g)
    g = undefined
  } else if (!spec.autoScaling && (await templateVersions(ctx, s, sg))?.length) {
    // left by a removal that stopped between deleting the group and its template
    out.push(`delete launch template ${name} (no auto scaling group uses it)`)
    if (apply) await s.ec2.send(new s.ec2m.DeleteLaunchTemplateCommand({LaunchTemplateName: name})).catch((e: {name?: string}) => /NotFound/.test(String(e.name)) || fail(ctx, 'DeleteLaunchTemplate', e))
  }

  // the plan's Auto Scaling group around instances made without one: made, and the running ones attached
  let made = false
  if (spec.autoScaling && !g) {
    const plain = instances.filter((i) => i.State?.Name === 'running')
    if (plain.length) {
      const b = planBounds(spec)
      out.push(`create auto scaling group ${name} (min ${b.min}, max ${b.max ?? plain.length}) with the group's ${plain.length} running instance(s) attached`)
      if (apply) {
        const want = await wantedData(ctx, s, spec)
        await ensureTemplate(ctx, s, templateData(want.data, [sg, ...(spec.securityGroups ?? [])]), await templateVersions(ctx, s, sg), want.parts)
        g = await makeAsg(ctx, s, spec, instanceTags(ctx, spec), plain.map((i) => ({id: i.InstanceId!, zone: i.Placement?.AvailabilityZone})))
        made = true
      }
    }
  }

  // tags: on every instance of the group, and on the Auto Scaling group (propagated to the instances it launches)
  const changes: Array<{what: 'instance' | 'asg'; id: string; change: TagChange}> = []
  for (const i of instances) changes.push({what: 'instance', id: i.InstanceId!, change: tagChange(ctx, spec, i.Tags ?? [])})
  if (g && !made) changes.push({what: 'asg', id: name, change: tagChange(ctx, spec, g.Tags ?? [])})
  const touched = changes.filter((c) => c.change.set.length || c.change.remove.length)
  out.push(...tagLines(touched))
  if (apply) {
    await applyToInstances(ctx, s, touched.filter((c) => c.what === 'instance'))
    for (const c of touched.filter((x) => x.what === 'asg')) await applyToAsg(ctx, s, name, c.change)
  }

  // the launch template and the bounds of an Auto Scaling group that exists
  if (spec.autoScaling && g && !made) {
    const want = await wantedData(ctx, s, spec)
    const cur = await templateVersions(ctx, s, sg)
    const line = templateLine(ctx, cur, want.parts)
    out.push(...line)
    if (apply && line.length) {
      await ensureTemplate(ctx, s, templateData(want.data, [sg, ...(spec.securityGroups ?? [])]), cur, want.parts)
      await useLatest(ctx, s, g)
    }
    out.push(...boundsLine(g, spec))
    if (apply) await applyBounds(ctx, s, g, spec)
  }
  return out
}
