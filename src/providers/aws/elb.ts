/** The aws LbBackend (ELBv2): registered when imported. */
import {registerLbBackend, type LbBackend} from '../../env/resources.js'
import {followTargets, targetTraffic} from './targets.js'

export const awsLb: LbBackend = {
  type: 'aws',
  drift: async () => [],
  reconcile: async () => [],
  follow: (s, names, state) => followTargets(s, names, state),
  teardown: async () => [],
  leftovers: async () => [],
  traffic: (s, tg, state) => targetTraffic(s, tg, state),
}
registerLbBackend(awsLb)
