/**
 * Rollout arithmetic. CodeDeploy's configurations (OneAtATime, HalfAtATime, AllAtOnce, minimum healthy hosts as a
 * count or a percentage, rounded up) and dops's direct form (batch size, list, pause, failure budget). dops states
 * batch sizes directly and derives the health floor from them; the failure budget is explicit (default 0: the first
 * failed host stops the rollout).
 */
import {InvalidInputError} from '../errors.js'
import {parseCountOrPercent, planBatches, type BatchSpec} from '../fleet/batches.js'
import type {CountOrPercent} from '../plan/types.js'

export interface StrategySpec {
  preset?: 'OneAtATime' | 'HalfAtATime' | 'AllAtOnce'
  minHealthy?: CountOrPercent
  batch?: BatchSpec
  pause?: number | string
  maxFailures?: CountOrPercent
  rollback?: boolean
}

export interface Rollout {
  sizes: number[]
  /** hosts that stay healthy while a batch is in flight */
  minHealthy: number
  maxFailures: CountOrPercent
  describe: string
}

export function planRollout(n: number, s: StrategySpec = {}): Rollout {
  const set = [s.preset, s.minHealthy, s.batch].filter((x) => x !== undefined).length
  if (set > 1) throw new InvalidInputError('choose one of strategy.preset, strategy.minHealthy and strategy.batch')
  let sizes: number[]
  let describe: string
  if (s.minHealthy !== undefined) {
    const {count, percent} = parseCountOrPercent(s.minHealthy)
    const min = count ?? Math.ceil((n * (percent ?? 0)) / 100)
    if (min >= n) throw new InvalidInputError(`minimum healthy hosts ${s.minHealthy} leaves no host to deploy to at once: ${min} of ${n} must stay healthy (CodeDeploy: HEALTH_CONSTRAINTS_INVALID)`)
    sizes = planBatches(n, n - min)
    describe = `minimum healthy ${min} of ${n}: batches of ${n - min}`
  } else if (s.batch !== undefined) {
    sizes = planBatches(n, s.batch)
    describe = `batches ${Array.isArray(s.batch) ? `[${s.batch.join(', ')}]` : s.batch}`
  } else {
    const preset = s.preset ?? 'OneAtATime'
    sizes = planBatches(n, preset === 'AllAtOnce' ? n : preset === 'HalfAtATime' ? Math.max(1, Math.floor(n / 2)) : 1)
    describe = preset
  }
  const largest = Math.max(0, ...sizes)
  return {sizes, minHealthy: n - largest, maxFailures: s.maxFailures ?? 0, describe}
}
