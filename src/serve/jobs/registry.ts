/** Job kinds by name: the core kinds (jobs/kinds.ts) and those other parts add (webhooks: `deploy.git`). */
import type {JobKind, JobKindImpl} from '../types.js'

const kinds = new Map<JobKind, JobKindImpl>()

export function registerJobKind(kind: JobKind, impl: JobKindImpl): void {
  kinds.set(kind, impl)
}

export function jobKind(kind: JobKind): JobKindImpl | undefined {
  return kinds.get(kind)
}
