/**
 * Where an alias record points: the environment's load balancer, found by its ELBv2 name (`lbName`) in its
 * provider's region with DescribeLoadBalancers (its DNSName and CanonicalHostedZoneId).
 */
import {DopsError, ExitCode} from '../../errors.js'
import {call, elbv2, errorName, type AwsSettings} from './dns-sdk.js'
import {lbName} from './elb-names.js'
import {normName} from './dns-zone.js'

export interface AliasTarget {
  zoneId: string
  dnsName: string
}

/** The load balancer's alias target, or undefined when it does not exist (yet). */
export async function findAliasTarget(settings: AwsSettings, project: string, env: string, lb: string): Promise<AliasTarget | undefined> {
  const e = elbv2(settings)
  const name = lbName(project, env, lb)
  try {
    const out = await e.c.send(new e.m.DescribeLoadBalancersCommand({Names: [name]}))
    const found = out.LoadBalancers ?? []
    if (found.length > 1) throw new DopsError('PROVIDER_ERROR', `dns: ${found.length} load balancers are named ${name} (load balancer ${lb}); remove the extra one`, {exitCode: ExitCode.PROVIDER_FAILED})
    const l = found[0]
    if (!l?.DNSName || !l.CanonicalHostedZoneId) return undefined
    return {zoneId: l.CanonicalHostedZoneId, dnsName: normName(l.DNSName)}
  } catch (err) {
    if (err instanceof DopsError) throw err
    if (errorName(err) === 'LoadBalancerNotFoundException' || errorName(err) === 'LoadBalancerNotFound') return undefined
    return call(`DescribeLoadBalancers ${name}`, () => Promise.reject(err))
  }
}
