/**
 * An app as the plan describes it, and the two things every lifecycle run needs from it: the environment its hooks
 * see (CodeDeploy's variables plus dops's), and the traffic commands run on the traffic group's hosts.
 */
import {hostEnv as baseEnv, type HostEnvContext} from '../fleet/host-env.js'
import type {Host} from '../inventory/host.js'
import type {AppSpec} from '../plan/types.js'
import {shQuote} from '../transport/remote-command.js'
import type {SshTransport} from '../transport/ssh.js'
import type {HealthCheckSpec} from './health.js'
import type {StrategySpec} from './strategy.js'

/** Traffic control by commands run on a group's hosts (e.g. nginx), or through a load balancer's target group. */
export type AppTraffic = CommandTraffic | TargetGroupTraffic

export interface CommandTraffic {
  group: string
  block: string
  allow: string
}

/** a target group of the environment's `loadBalancers`: deregistered before BlockTraffic ends, registered after AllowTraffic once healthy */
export interface TargetGroupTraffic {
  targetGroup: string
  /** waiting for draining and for healthy, default 5m */
  timeout?: string | number
}

export const isCommandTraffic = (t: AppTraffic | undefined): t is CommandTraffic => !!t && 'group' in t

export interface AppPlan extends AppSpec {
  strategy?: StrategySpec
  healthCheck?: HealthCheckSpec
  env?: Record<string, string | number | boolean>
  deployRoot?: string
  fileExistsBehavior?: 'DISALLOW' | 'OVERWRITE' | 'RETAIN'
  ignoreApplicationStopFailures?: boolean
  traffic?: AppTraffic
  sudo?: boolean
}

export interface HookEnvInput {
  app: AppPlan
  appName: string
  project: string
  env: string
  host: Host
  address: string
  deploymentId: string
  revision: string
  batch: number
  kind: string
}

/**
 * What every hook script sees: the host's variables (host-env.ts), the app's env over them, then CodeDeploy's
 * variables and dops's own.
 */
export function hookEnv(i: HookEnvInput): Record<string, string> {
  return baseEnv(i.host, {project: i.project, env: i.env, address: i.address}, {
    ...Object.fromEntries(Object.entries(i.app.env ?? {}).map(([k, v]) => [k, String(v)])),
    DEPLOYMENT_ID: i.deploymentId,
    APPLICATION_NAME: i.appName,
    DEPLOYMENT_GROUP_NAME: `${i.env}-${i.host.group}`,
    DEPLOYMENT_GROUP_ID: `${i.project}-${i.env}-${i.appName}`,
    DOPS_REVISION: i.revision,
    DOPS_BATCH: String(i.batch),
    DOPS_DEPLOYMENT_KIND: i.kind,
  })
}

/**
 * The script sent on stdin (`sh -s`) that runs a traffic command: the command (secrets included) reaches its shell
 * through the environment, so it never appears on a command line on the traffic host.
 */
export function trafficScript(command: string, env: Record<string, string>): string {
  const vars = Object.entries({...env, DOPS_TRAFFIC_COMMAND: command}).map(([k, v]) => `${k}=${shQuote(v)}; export ${k}`)
  return [...vars, `exec sh -c 'eval "$DOPS_TRAFFIC_COMMAND"' </dev/null`].join('\n') + '\n'
}

/**
 * Run the app's `traffic.block` or `traffic.allow` for host `h` on each traffic host; the first failure is returned.
 * The command sees the traffic host's own variables, and DOPS_HOST, DOPS_HOST_ADDRESS and DOPS_GROUP of `h`.
 */
export async function runTraffic(transport: SshTransport, trafficHosts: Host[], appName: string, traffic: CommandTraffic, what: 'block' | 'allow', h: Host, ctx: Pick<HostEnvContext, 'project' | 'env'> = {}): Promise<string | undefined> {
  for (const lb of trafficHosts) {
    const env = {...baseEnv(lb, {...ctx, address: transport.target(lb).address}), DOPS_HOST: h.name, DOPS_HOST_ADDRESS: transport.target(h).address, DOPS_GROUP: h.group, DOPS_APP: appName}
    const script = trafficScript(traffic[what], env)
    const c = await transport.connect(lb)
    const r = await c.exec('sh -s', {stdin: script})
    if (r.exitCode !== 0) return `${what === 'block' ? 'BlockTraffic' : 'AllowTraffic'} on ${lb.name} failed with exit code ${r.exitCode}: ${(r.stderr || r.stdout).trim().slice(0, 200)}`
  }
  return undefined
}
