/** The guards' settings of an environment (`automation:` in the plan), with their defaults (operations.md §8). */
import type {AutomationSpec, CountOrPercent} from '../plan/types.js'
import {parseDuration} from '../util/duration.js'

export interface Automation {
  paused: boolean
  dryRun: boolean
  cooldownMs: number
  graceMs: number
  restarts: number
  restartWindowMs: number
  replaces: number
  replaceWindowMs: number
  budget: CountOrPercent
  budgetWindowMs: number
  minHealthy: CountOrPercent
  /** percent of a group alerting at once above which nothing is done */
  storm: number
}

export const DEFAULT_AUTOMATION: Automation = {
  paused: false,
  dryRun: false,
  cooldownMs: 5 * 60_000,
  graceMs: 5 * 60_000,
  restarts: 2,
  restartWindowMs: 30 * 60_000,
  replaces: 1,
  replaceWindowMs: 60 * 60_000,
  budget: '10%',
  budgetWindowMs: 10 * 60_000,
  minHealthy: 1,
  storm: 50,
}

export function automationOf(spec: AutomationSpec | undefined): Automation {
  const s = spec ?? {}
  const d = DEFAULT_AUTOMATION
  const ms = (v: AutomationSpec['cooldown'], def: number) => parseDuration(v) ?? def
  return {
    paused: s.paused ?? d.paused,
    dryRun: s.dryRun ?? d.dryRun,
    cooldownMs: ms(s.cooldown, d.cooldownMs),
    graceMs: ms(s.grace, d.graceMs),
    restarts: s.restarts ?? d.restarts,
    restartWindowMs: ms(s.restartWindow, d.restartWindowMs),
    replaces: s.replaces ?? d.replaces,
    replaceWindowMs: ms(s.replaceWindow, d.replaceWindowMs),
    budget: s.budget ?? d.budget,
    budgetWindowMs: ms(s.budgetWindow, d.budgetWindowMs),
    minHealthy: s.minHealthy ?? d.minHealthy,
    storm: s.storm ?? d.storm,
  }
}

/** A count or a percentage of `total` (rounded down), at least `floor`. */
export function countOf(v: CountOrPercent, total: number, floor = 0): number {
  const n = typeof v === 'number' ? v : Math.floor((Number(v.replace('%', '')) / 100) * total)
  return Math.max(floor, n)
}
