/** `dops monitor targets`: what each group's target file should list, and whether the file on disk says it. */
import {InvalidInputError} from '../errors.js'
import {loadEnv, readState} from '../env/context.js'
import type {EnvParams} from '../env/types.js'
import {envTargets, labelsFrom, targetSink} from './sync.js'
import type {TargetGroup} from './targets.js'
import {targetsText} from './write.js'

export interface TargetsReport {
  project: string
  env: string
  dir: string
  groups: Array<{group: string; file: string; hosts: string[]; targets: TargetGroup[]; registered: boolean}>
}

export async function monitorTargets(p: EnvParams): Promise<TargetsReport> {
  const e = await loadEnv(p)
  const sink = targetSink({loaded: e.loaded, envName: e.envName, projectDir: e.t.projectDir, labelsOf: labelsFrom(e.t.hosts, e.groups), connection: p.connection})
  if (!sink) throw new InvalidInputError(`${e.loaded.file} has no \`monitoring:\` section (monitoring.targets.dir says where Prometheus reads the targets)`)
  const state = await readState(e)
  const groups = []
  for (const g of envTargets({loaded: e.loaded, envName: e.envName, labelsOf: labelsFrom(e.t.hosts, e.groups)}, state)) {
    const file = `${sink.where}/${g.file}`
    const onDisk = await sink.read(g.file)
    const registered = g.targets.length ? onDisk === targetsText(g) : onDisk === undefined
    groups.push({group: g.group, file, hosts: [...new Set(g.targets.map((t) => t.labels.host!))], targets: g.targets, registered})
  }
  return {project: e.loaded.plan.project, env: e.envName, dir: sink.where, groups}
}
