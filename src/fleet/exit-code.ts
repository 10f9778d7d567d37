import {ExitCode, type ExitCodeValue} from '../errors.js'
import type {RunOutcome} from './run.js'

/** One rule for every fleet operation: success, some failed, none succeeded, budget exceeded, interrupted. */
export function exitCodeFor(o: Pick<RunOutcome, 'summary' | 'stopped'>): ExitCodeValue {
  if (o.summary.total === 0) return ExitCode.NOTHING_TO_DO
  if (o.stopped?.reason === 'interrupted') return ExitCode.INTERRUPTED
  if (o.stopped?.reason === 'budget') return ExitCode.BUDGET_EXCEEDED
  if (o.summary.ok === o.summary.total) return ExitCode.OK
  if (o.summary.ok === 0) return ExitCode.NONE_SUCCEEDED
  return ExitCode.SOME_FAILED
}
