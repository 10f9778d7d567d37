/**
 * A load balancer's listeners (by port) and their rules (by priority) brought to the plan: made, modified (protocol,
 * certificate, the target group forwarded to) or deleted. Then the target groups nothing forwards to any more (a
 * replacement's old one, those the plan dropped) are deleted: the listeners had to leave them first.
 */
import type {LoadBalancerSpec} from '../../plan/types.js'
import type {ProviderContext} from '../types.js'
import {desiredListeners, type DesiredRule} from './elb-desired.js'
import {ownArns, pages, type Elb} from './elb-sdk.js'
import {deleteTgs} from './elb-tg.js'
import {fail} from './sdk.js'

type Rule = import('@aws-sdk/client-elastic-load-balancing-v2').Rule

const forward = (arn: string) => [{Type: 'forward' as const, TargetGroupArn: arn}]
const forwardsTo = (actions: Array<{TargetGroupArn?: string}> | undefined) => actions?.find((a) => a.TargetGroupArn)?.TargetGroupArn
const condKey = (c: Array<{Field?: string; Values?: string[]; PathPatternConfig?: {Values?: string[]}; HostHeaderConfig?: {Values?: string[]}}>) =>
  JSON.stringify(c.map((x) => [x.Field, x.Values ?? x.PathPatternConfig?.Values ?? x.HostHeaderConfig?.Values ?? []]).sort())

const ruleDesc = (w: DesiredRule) => `${w.conditions.map((c) => `${c.Field} ${c.Values.join(',')}`).join(' and ')} -> ${w.targets}`

async function convergeRules(ctx: ProviderContext, s: Elb, listener: string, label: string, want: DesiredRule[], arns: Record<string, string>, apply: boolean): Promise<string[]> {
  const lines: string[] = []
  const r = await s.elb.send(new s.elbm.DescribeRulesCommand({ListenerArn: listener})).catch((e) => fail(ctx, 'DescribeRules', e))
  const have = new Map<number, Rule>((r.Rules ?? []).filter((x) => !x.IsDefault).map((x) => [Number(x.Priority), x]))
  for (const w of want) {
    const cur = have.get(w.priority)
    have.delete(w.priority)
    const desc = ruleDesc(w)
    if (cur && condKey(cur.Conditions ?? []) === condKey(w.conditions) && forwardsTo(cur.Actions) === arns[w.targets]) continue
    lines.push(`${cur ? '~' : '+'} ${label} rule ${w.priority}: ${desc}`)
    if (!apply) continue
    if (cur) await s.elb.send(new s.elbm.ModifyRuleCommand({RuleArn: cur.RuleArn, Conditions: w.conditions, Actions: forward(arns[w.targets]!)})).catch((e) => fail(ctx, 'ModifyRule', e))
    else await s.elb.send(new s.elbm.CreateRuleCommand({ListenerArn: listener, Priority: w.priority, Conditions: w.conditions, Actions: forward(arns[w.targets]!)})).catch((e) => fail(ctx, 'CreateRule', e))
  }
  for (const [priority, cur] of have) {
    lines.push(`- ${label} rule ${priority}`)
    if (apply) await s.elb.send(new s.elbm.DeleteRuleCommand({RuleArn: cur.RuleArn})).catch((e) => fail(ctx, 'DeleteRule', e))
  }
  return lines
}

/** The listeners of load balancer `lbArn` (undefined: planned, not made yet) to the plan; `arns`: target groups by key. */
export async function convergeListeners(ctx: ProviderContext, s: Elb, lb: string, lbArn: string | undefined, spec: LoadBalancerSpec, arns: Record<string, string>, apply: boolean): Promise<string[]> {
  const lines: string[] = []
  const want = desiredListeners(spec)
  const have = lbArn ? ((await s.elb.send(new s.elbm.DescribeListenersCommand({LoadBalancerArn: lbArn})).catch((e) => fail(ctx, 'DescribeListeners', e))).Listeners ?? []) : []
  for (const w of want) {
    const label = `listener ${lb} ${w.protocol}:${w.port}`
    const cur = have.find((l) => l.Port === w.port)
    let arn = cur?.ListenerArn
    if (!cur) {
      lines.push(`+ ${label} -> ${w.targets}`)
      if (apply) {
        const r = await s.elb
          .send(new s.elbm.CreateListenerCommand({LoadBalancerArn: lbArn, Port: w.port, Protocol: w.protocol, ...(w.certificate ? {Certificates: [{CertificateArn: w.certificate}]} : {}), DefaultActions: forward(arns[w.targets]!)}))
          .catch((e) => fail(ctx, 'CreateListener', e))
        arn = r.Listeners![0]!.ListenerArn
      }
    } else {
      const diffs = [
        ...(cur.Protocol !== w.protocol ? [`protocol ${cur.Protocol} -> ${w.protocol}`] : []),
        ...((cur.Certificates?.[0]?.CertificateArn ?? undefined) !== w.certificate ? [`certificate ${cur.Certificates?.[0]?.CertificateArn ?? '(none)'} -> ${w.certificate ?? '(none)'}`] : []),
        ...(forwardsTo(cur.DefaultActions) !== arns[w.targets] ? [`forwards to ${w.targets}${arns[w.targets] === '(new)' ? ' (new)' : ''}`] : []),
      ]
      if (diffs.length) {
        lines.push(`~ ${label}: ${diffs.join(', ')}`)
        if (apply) await s.elb.send(new s.elbm.ModifyListenerCommand({ListenerArn: arn, Port: w.port, Protocol: w.protocol, ...(w.certificate ? {Certificates: [{CertificateArn: w.certificate}]} : {}), DefaultActions: forward(arns[w.targets]!)})).catch((e) => fail(ctx, 'ModifyListener', e))
      }
    }
    if (arn && (apply || cur)) lines.push(...(await convergeRules(ctx, s, arn, label, w.rules, arns, apply)))
    else for (const r of w.rules) lines.push(`+ ${label} rule ${r.priority}: ${ruleDesc(r)}`)
  }
  for (const cur of have.filter((l) => !want.some((w) => w.port === l.Port))) {
    lines.push(`- listener ${lb} ${cur.Protocol}:${cur.Port}`)
    if (apply) await s.elb.send(new s.elbm.DeleteListenerCommand({ListenerArn: cur.ListenerArn})).catch((e: {name?: string}) => /ListenerNotFound/.test(String(e.name)) || fail(ctx, 'DeleteListener', e))
  }
  return lines
}

/**
 * Target groups of load balancer `lb` that the plan no longer has (`keep`: the ARNs it has): its recorded ones and
 * those tagged as its, deleted once the listeners left them.
 */
export async function retireTgs(ctx: ProviderContext, s: Elb, lb: string, keep: string[], recorded: string[], apply: boolean): Promise<string[]> {
  const all = await pages(ctx, 'DescribeTargetGroups', async (Marker) => {
    const r = await s.elb.send(new s.elbm.DescribeTargetGroupsCommand({Marker}))
    return {items: (r.TargetGroups ?? []).map((t) => t.TargetGroupArn!), next: r.NextMarker}
  })
  const mine = (await ownArns(ctx, s, all.filter((a) => !keep.includes(a)))).filter((o) => o.tags['dops:lb'] === lb)
  const doomed = [...new Set([...mine.map((o) => o.arn), ...recorded.filter((a) => all.includes(a) && !keep.includes(a))])]
  const lines = doomed.map((a) => `- target group ${lb}/${mine.find((o) => o.arn === a)?.tags['dops:tg'] ?? a}`)
  if (apply) await deleteTgs(ctx, s, doomed)
  return lines
}
