/**
 * One traffic control for an app's `traffic` (CodeDeploy's BlockTraffic/AllowTraffic), used by deploys and drains:
 * the command form runs the app's `block`/`allow` commands on the traffic group's hosts (runTraffic); the
 * `targetGroup` form goes through the load balancer that owns the target group, by its provider type's backend
 * (`lbBackends`: aws deregisters and registers the instance in the ELBv2 target group).
 */
import {InvalidInputError} from '../errors.js'
import type {Reporter} from '../events.js'
import type {ResourceScope, TrafficControl} from '../env/resources.js'
import type {Host} from '../inventory/host.js'
import type {LoadedPlan} from '../plan/types.js'
import type {EnvState} from '../state/local-file.js'
import type {TransportSettings} from '../transport/factory.js'
import type {SshTransport} from '../transport/ssh.js'
import {isCommandTraffic, runTraffic, type AppTraffic} from './app-plan.js'
import {lbProviderName, locateTargetGroup} from '../providers/aws/targets-logic.js'

/** For plans and records: `commands on group lb` or `target group web-80 (load balancer web)`. */
export function trafficLabel(loaded: LoadedPlan, envName: string, traffic: AppTraffic): string {
  if (isCommandTraffic(traffic)) return `commands on group ${traffic.group}`
  const own = locateTargetGroup(loaded.plan.environments?.[envName], traffic.targetGroup)
  return typeof own === 'string' ? `target group ${traffic.targetGroup}` : `target group ${own.tg} (load balancer ${own.lb})`
}

/** The app's traffic settings make sense in this environment (else an input error naming the field). */
export function checkTraffic(loaded: LoadedPlan, envName: string, appName: string, traffic: AppTraffic | undefined): void {
  if (!traffic) return
  const env = loaded.plan.environments?.[envName]
  if (isCommandTraffic(traffic)) {
    if (!Object.keys(env?.groups ?? {}).includes(traffic.group)) throw new InvalidInputError(`apps.${appName}.traffic.group \`${traffic.group}\` is not a group of environment ${envName}`)
    return
  }
  const own = locateTargetGroup(env, traffic.targetGroup)
  if (typeof own === 'string') throw new InvalidInputError(`apps.${appName}.traffic.targetGroup: environment ${envName}: ${own}`)
}

/** What an EnvResource sees of the environment, for the load balancer backends. */
export function resourceScope(loaded: LoadedPlan, envName: string, connection?: ResourceScope['connection'], reporter?: Reporter): ResourceScope {
  return {
    loaded,
    envName,
    projectDir: loaded.dir,
    ...(connection ? {connection} : {}),
    ...(reporter ? {reporter} : {}),
    provider(name: string) {
      const def = loaded.plan.providers?.[name]
      return {name, type: def?.type ?? name, settings: (def ?? {}) as Record<string, unknown>}
    },
  }
}

export interface TrafficParams {
  loaded: LoadedPlan
  envName: string
  appName: string
  traffic: AppTraffic
  transport: SshTransport
  /** every host of the environment (the command form's traffic hosts are found here) */
  all: Host[]
  /** hosts that are no traffic hosts any more (leaving the environment) */
  leaving?: Set<string>
  connection?: Omit<TransportSettings, 'projectDir' | 'planSsh' | 'onHostKeyLearned'>
  reporter?: Reporter
  /** the environment's state (instance ids); read when not given */
  state?: EnvState
}

export async function trafficControl(p: TrafficParams): Promise<TrafficControl> {
  const traffic = p.traffic
  checkTraffic(p.loaded, p.envName, p.appName, traffic)
  if (isCommandTraffic(traffic)) {
    const hosts = () => p.all.filter((h) => h.group === traffic.group && !p.leaving?.has(h.name))
    const ctx = {project: p.loaded.plan.project, env: p.envName}
    return {
      describe: trafficLabel(p.loaded, p.envName, traffic),
      block: (h) => runTraffic(p.transport, hosts(), p.appName, traffic, 'block', h, ctx),
      allow: (h) => runTraffic(p.transport, hosts(), p.appName, traffic, 'allow', h, ctx),
    }
  }
  const env = p.loaded.plan.environments?.[p.envName]
  const own = locateTargetGroup(env, traffic.targetGroup)
  if (typeof own === 'string') throw new InvalidInputError(own)
  const scope = resourceScope(p.loaded, p.envName, p.connection, p.reporter)
  const type = scope.provider(lbProviderName(env, own.lbSpec)).type
  const state = p.state ?? (await readState(p.loaded, p.envName))
  // the backends register themselves when the list of environment resources is loaded
  await import('../env/resources-list.js')
  // (locallb) backends load lazily: the type's module registers it (lbBackendModules, filled by resources-list.ts)
  await (await import('../env/load-balancers.js')).lbBackendModules[type]?.()
  const {lbBackends} = await import('../env/resources.js')
  const backend = lbBackends.get(type)
  if (backend) return backend.traffic(scope, traffic.targetGroup, state)
  if (type === 'aws') return (await import('../providers/aws/targets.js')).targetTraffic(scope, traffic.targetGroup, state)
  throw new InvalidInputError(`apps.${p.appName}.traffic.targetGroup \`${traffic.targetGroup}\`: load balancer ${own.lb} is on provider type ${type}, which has no load balancers in dops`)
}

async function readState(loaded: LoadedPlan, envName: string): Promise<EnvState> {
  const {openState} = await import('../state/backend.js')
  return (await openState(loaded, loaded.dir, envName)).read()
}
