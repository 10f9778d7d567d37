/** Checks of `schedules:` the schema cannot express (cron syntax, time zone, env and app references). */
import type {Plan} from './types.js'
import type {PathSegment} from './yaml-source.js'

export type At = (path: PathSegment[], message: string, suggestion?: string, onKey?: boolean) => void

export function checkSchedules(_plan: Plan, _at: At): void {}
