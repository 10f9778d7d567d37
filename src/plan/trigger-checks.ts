/** Checks of `apps.NAME.trigger` the schema cannot express (env and group references). */
import type {At} from './schedule-checks.js'
import type {Plan} from './types.js'

export function checkTriggers(_plan: Plan, _at: At): void {}
