/**
 * Where hosts come from for a command: a plan (dops.yml or -f) and one of its environments, or an Ansible inventory
 * given directly (-i), as `ansible -i` does. Returns the hosts, the project directory and the plan's secrets.
 */
import path from 'node:path'
import {InvalidInputError} from './errors.js'
import {inventoryHosts, readAnsibleInventory} from './inventory/ansible.js'
import type {Host} from './inventory/host.js'
import {pickEnvironment, resolveEnvironment} from './inventory/resolve.js'
import {findPlanFile, loadPlan} from './plan/load.js'
import type {LoadedPlan} from './plan/types.js'
import type {Problem} from './errors.js'

export interface TargetSource {
  cwd: string
  planFile?: string
  env?: string
  inventory?: string
  /** inventory group (with -i); with a plan, groups are selected afterwards */
  inventoryGroup?: string
  processEnv?: NodeJS.ProcessEnv
}

export interface ResolvedTargets {
  hosts: Host[]
  projectDir: string
  loaded?: LoadedPlan
  envName?: string
  secrets: string[]
  warnings: Problem[]
}

export async function resolveTargets(src: TargetSource): Promise<ResolvedTargets> {
  if (src.inventory) {
    if (src.planFile) throw new InvalidInputError('use either a plan (-f) or an inventory (-i), not both')
    const file = path.resolve(src.cwd, src.inventory)
    const hosts = inventoryHosts(readAnsibleInventory(file), src.inventoryGroup ?? 'all')
    return {hosts, projectDir: src.cwd, secrets: [], warnings: []}
  }
  const planFile = src.planFile ? path.resolve(src.cwd, src.planFile) : await findPlanFile(src.cwd)
  if (!planFile) throw new InvalidInputError(`no plan: there is no dops.yml in ${src.cwd}; pass -f PLAN, or -i INVENTORY to target an Ansible inventory`)
  const {loaded, warnings} = await loadPlan(planFile, {env: src.processEnv})
  const envName = pickEnvironment(loaded, src.env)
  return {hosts: resolveEnvironment(loaded, envName), projectDir: loaded.dir, loaded, envName, secrets: loaded.secrets, warnings}
}
