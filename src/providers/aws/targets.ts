/**
 * Targets of ELBv2 target groups: hosts registered as they become ready and deregistered as they leave (a group with
 * an Auto Scaling group is attached instead, and left to it), and a deploy's traffic control through a target group.
 * STUB (issue 14 contract): owned by the targets helper, replaced by the real implementation.
 */
import type {EnvState} from '../../state/local-file.js'
import type {ResourceScope, TrafficControl} from '../../env/resources.js'

/** After a state write: register the ready hosts of each target group's group, deregister those gone; returns what changed. */
export async function followTargets(_s: ResourceScope, _names: string[], _state: EnvState): Promise<string[]> {
  return []
}

/** A deploy's BlockTraffic/AllowTraffic through target group `targetGroup` of the environment's load balancers. */
export async function targetTraffic(_s: ResourceScope, targetGroup: string, _state: EnvState): Promise<TrafficControl> {
  throw new Error(`target group traffic (${targetGroup}) is not implemented yet`)
}
