/**
 * Leadership among `dops serve` processes sharing one state backend: a lease in that backend, renewed while held.
 * (Stub until the lease lands: this process always leads.)
 */
import type {Leader} from './types.js'

export interface LeaderHandle extends Leader {
  close(): Promise<void>
}

export async function openLeader(_p: {projectDir: string; planFile: string; log: (line: string) => void}): Promise<LeaderHandle> {
  return {isLeader: () => true, holder: () => undefined, close: async () => {}}
}
