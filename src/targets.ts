/**
 * Where hosts come from for a command: a plan (dops.yml or -f) and one of its environments, or an Ansible inventory
 * given directly (-i), as `ansible -i` does. Returns the hosts, the project directory and the plan's secrets.
 */
import path from 'node:path'
import {InvalidInputError} from './errors.js'
import {inventoryHosts, readAnsibleInventory} from './inventory/ansible.js'
import type {Host} from './inventory/host.js'
import type {LoadedPlan} from './plan/types.js'
import {DopsError, ExitCode, type Problem} from './errors.js'
import {checkSelection, selectHosts, type Selection} from './fleet/select.js'

export interface TargetSource {
  cwd: string
  planFile?: string
  env?: string
  inventory?: string
  processEnv?: NodeJS.ProcessEnv
  /** the plan as a command sees it, derived in memory from the file's (`env restore` builds its target environment so) */
  derive?: (loaded: LoadedPlan) => LoadedPlan
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
    const hosts = inventoryHosts(await readAnsibleInventory(file))
    return {hosts, projectDir: src.cwd, secrets: [], warnings: []}
  }
  // plans need the YAML parser and the schema; an inventory run does not load them
  const {findPlanFile, loadPlan} = await import('./plan/load.js')
  const {pickEnvironment, resolveEnvironment, stateHosts} = await import('./inventory/resolve.js')
  const planFile = src.planFile ? path.resolve(src.cwd, src.planFile) : await findPlanFile(src.cwd)
  if (!planFile) throw new InvalidInputError(`no plan: there is no dops.yml in ${src.cwd}; pass -f PLAN, or -i INVENTORY to target an Ansible inventory`)
  const {loaded: read, warnings} = await loadPlan(planFile, {env: src.processEnv})
  let loaded = src.derive ? src.derive(read) : read
  const envName = pickEnvironment(loaded, src.env)
  const {openState} = await import('./state/backend.js')
  const state = await (await openState(loaded, loaded.dir, envName)).read()
  // an environment restored from another (its state says so, or its `restoreFrom`) is its source's groups with its overrides
  if (!src.derive) loaded = (await import('./env/restore-derive.js')).restoredView(loaded, envName, state.restoredFrom?.env)
  return {hosts: [...(await resolveEnvironment(loaded, envName)), ...stateHosts(loaded, envName, state)], projectDir: loaded.dir, loaded, envName, secrets: loaded.secrets, warnings}
}

/** Apply a selection: a group or label that exists nowhere is invalid input (exit 2); an empty result says what exists (exit 7). */
export function selectTargets(t: ResolvedTargets, sel: Selection): Host[] {
  const where = t.envName ? ` in environment ${t.envName}` : ''
  const planGroups = t.loaded?.plan.environments?.[t.envName ?? '']?.groups ?? {}
  checkSelection(t.hosts, sel, {groups: Object.keys(planGroups), labels: Object.values(planGroups).map((g) => g.labels)}, where)
  const hosts = selectHosts(t.hosts, sel)
  if (hosts.length) return hosts
  const known = [...new Set(t.hosts.flatMap((h) => h.groups))]
  throw new DopsError('NO_HOSTS', `no host matches the selection (${t.hosts.length} host(s) known${where}; groups: ${known.join(', ') || 'none'})`, {exitCode: ExitCode.NOTHING_TO_DO})
}
