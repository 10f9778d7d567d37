/** Fires the plan's schedules while this server leads. (Stub until schedules land.) */
import type {ServeContext} from '../types.js'

export interface SchedulerHandle {
  stop(): Promise<void>
}

export async function startScheduler(_ctx: ServeContext): Promise<SchedulerHandle> {
  return {stop: async () => {}}
}
