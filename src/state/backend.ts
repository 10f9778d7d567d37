/** The state backend a plan asks for: `state: {backend: s3, ...}`, or the local file by default. */
import type {LoadedPlan} from '../plan/types.js'
import {LocalStateFile, type StateBackend} from './local-file.js'

export interface StateSpec {
  backend?: 'local' | 's3'
  bucket?: string
  prefix?: string
  region?: string
  endpoint?: string
  profile?: string
}

export async function openState(loaded: LoadedPlan, projectDir: string, env: string): Promise<StateBackend & {url?: string; file?: string}> {
  const spec = loaded.plan.state
  if (spec?.backend === 's3') {
    const {S3State} = await import('./s3.js')
    return new S3State({bucket: spec.bucket!, prefix: spec.prefix, region: spec.region, endpoint: spec.endpoint, profile: spec.profile}, loaded.plan.project, env)
  }
  return new LocalStateFile(projectDir, loaded.plan.project, env)
}
