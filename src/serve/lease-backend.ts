/** The lease and the shared schedule document in the backend the plan's `state:` names (S3, or the local directory). */
import {loadPlan} from '../plan/load.js'
import type {StateSpec} from '../state/backend.js'
import type {LeaseBackend, SharedScheduleState} from './lease-common.js'
import {LocalLease, LocalScheduleState} from './lease-local.js'

export interface SharedBackend {
  lease: LeaseBackend
  schedules: SharedScheduleState
}

export async function sharedBackendFor(projectDir: string, project: string, state: StateSpec | undefined): Promise<SharedBackend> {
  if (state?.backend === 's3') {
    const {S3Lease, S3ScheduleState} = await import('./lease-s3.js')
    return {lease: new S3Lease(state, project), schedules: new S3ScheduleState(state, project)}
  }
  return {lease: new LocalLease(projectDir), schedules: new LocalScheduleState(projectDir)}
}

/** The shared backend of a plan file (loaded and checked). */
export async function sharedBackendOf(projectDir: string, planFile: string): Promise<SharedBackend> {
  const {loaded} = await loadPlan(planFile)
  return sharedBackendFor(projectDir, loaded.plan.project, loaded.plan.state)
}
