/** `env plan` and `--dry-run` of env up / scale: the planned steps on stdout (the result), nothing changed. */
import type {EnvReport} from '../env/env-job.js'
import {ExitCode} from '../errors.js'
import {formatEnvReport} from './env-format.js'
import {colorFor} from './format.js'

/** Print the plan unless --json; the exit code: 0, or PLAN_CHANGES with `detailed` when something would change. */
export function printPlan(json: boolean, r: EnvReport, detailed = false): number {
  if (!json) process.stdout.write(formatEnvReport(colorFor(process.stdout), r) + '\n')
  return detailed && r.changed ? ExitCode.PLAN_CHANGES : r.exitCode
}
