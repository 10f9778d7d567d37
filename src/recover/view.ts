/** What dops knows of an environment for the guards: its groups' hosts (from the state), policies and bounds. */
import {loadEnv, providerOf, readState} from '../env/context.js'
import type {TargetSource} from '../targets.js'
import {automationOf} from './settings.js'
import {lastDeployedAt} from './deployed.js'
import type {EnvView, GroupView, HostView} from './types.js'

export async function envView(source: TargetSource): Promise<EnvView> {
  const e = await loadEnv({source, connection: {}})
  const state = await readState(e)
  const deployed = await lastDeployedAt(e.t.projectDir, e.envName)
  const groups: Record<string, GroupView> = {}
  for (const [name, spec] of Object.entries(e.groups)) {
    const isStatic = providerOf(e.loaded, spec).type === 'static'
    const asg = (spec.instance as {autoScaling?: {min?: number; max?: number}} | undefined)?.autoScaling
    const hosts = isStatic
      ? (state.static?.[name]?.hosts ?? []).map((h) => ({name: h.name, createdAt: h.joinedAt}))
      : (state.groups[name]?.instances ?? []).map((i) => ({name: i.name, createdAt: i.createdAt}))
    for (const h of hosts as HostView[]) if (deployed.has(h.name)) h.deployedAt = deployed.get(h.name)
    groups[name] = {hosts, policies: spec.on?.alert ?? {}, apps: spec.apps ?? [], static: isStatic, ...(asg?.min !== undefined ? {min: asg.min} : {}), ...(asg?.max !== undefined ? {max: asg.max} : {})}
  }
  return {project: e.loaded.plan.project, env: e.envName, groups, automation: automationOf(e.loaded.plan.environments?.[e.envName]?.automation)}
}
