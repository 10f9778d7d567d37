/** The env run journal: each command's report, host outputs included, as `.dops/env-runs/<run id>.json`. */
import path from 'node:path'
import {writeJsonAtomic} from '../util/atomic-json.js'
import type {EnvContext} from './context.js'
import type {EnvReport} from './types.js'

export async function journaled(e: EnvContext, report: EnvReport): Promise<EnvReport> {
  // durations in JSON (the journal, --json) are whole milliseconds
  for (const k of Object.keys(report.phases) as (keyof EnvReport['phases'])[]) report.phases[k] = Math.round(report.phases[k])
  report.journal = await writeJsonAtomic(path.join(e.t.projectDir, '.dops', 'env-runs', `${report.runId}.json`), report)
  return report
}
