/**
 * What `dops deploy` and `dops rollback` share: the deployment run under Ctrl-C/SIGTERM handling (the first signal
 * finishes the hosts in flight, starts no other, releases the lock: exit 6), with progress on stderr and the result
 * printed (or returned as JSON), its exit code set.
 */
import {connectionFrom, selectionFrom, withInterrupt} from './base.js'
import {printDeployment} from './deploy-format.js'
import {withDeployProgress} from './deploy-progress.js'
import type {OutputMode} from './progress.js'
import {deployJob, type DeployParams, type DeployReport} from '../deploy/deploy-job.js'

export interface DeployCommandFlags {
  app?: string
  wait?: string
  steal?: boolean
  stream: boolean
  plan: boolean
  group?: string[]
  label?: string[]
  hosts?: string[]
  'ssh-config'?: string
  identity?: string
  user?: string
  'known-hosts'?: string[]
  'host-key-checking'?: string
  'max-handshakes'?: number
}

export async function runDeployCommand(mode: OutputMode, title: string, flags: DeployCommandFlags, params: Pick<DeployParams, 'source' | 'revision' | 'revisionId' | 'kind' | 'ignoreStopFailures' | 'rollback'>): Promise<DeployReport> {
  return withInterrupt('stopping: no new host will start; in-flight hosts finish', async (stopSignal) => {
    const report = await withDeployProgress(mode, {stream: flags.stream, title}, (reporter) =>
      deployJob({...params, selection: selectionFrom(flags), connection: connectionFrom(flags), app: flags.app, planOnly: flags.plan, wait: flags.wait, steal: flags.steal, stream: flags.stream, reporter, stopSignal}),
    )
    if (mode !== 'json') printDeployment(report)
    process.exitCode = report.exitCode
    return report
  })
}
