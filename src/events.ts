/**
 * Progress events: the core reports through a callback and never prints. The CLI turns them into listr2 progress,
 * plain lines or nothing (--json); a future REST API can stream them.
 */
import type {HostResult} from './fleet/types.js'

export type DopsEvent =
  | {type: 'run.start'; runId: string; hosts: number; batches: number[]}
  | {type: 'batch.start'; index: number; total: number; hosts: string[]}
  | {type: 'batch.end'; index: number; ok: number; failed: number}
  | {type: 'host.output'; host: string; stream: 'stdout' | 'stderr'; line: string}
  | {type: 'host.end'; result: HostResult}
  | {type: 'run.stopped'; reason: 'budget' | 'interrupted'; message: string}
  | {type: 'hostkey.learned'; host: string; fingerprint: string; file: string}
  | {type: 'warning'; message: string}
  /** a step of an env command (provision, wait, bootstrap, deploy, events, drain): its start, then its end */
  | {type: 'env.step'; phase: string; text: string; state: 'start' | 'end'; ok?: boolean; ms?: number}
  /** a deployment's plan, before anything on a host changes */
  | {type: 'deploy.plan'; report: import('./deploy/deploy-job.js').DeployReport}
  /** a lifecycle event on one host of a deployment: its start, then its end with its time */
  | {type: 'deploy.event'; host: string; event: string; state: 'start' | 'end'; ok?: boolean; ms?: number}

export type Reporter = (event: DopsEvent) => void
export const silentReporter: Reporter = () => {}
