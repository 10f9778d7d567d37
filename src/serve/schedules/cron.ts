/**
 * Cron expressions of `schedules:` through croner: 5 fields (minute hour day month weekday), 6 with seconds first, or
 * an @-nickname (`@hourly`, `@daily`...), read in UTC unless a time zone is given. croner is loaded on first use only.
 */
import {createRequire} from 'node:module'
import type {Cron as CronT} from 'croner'

let croner: typeof import('croner') | undefined
const load = (): typeof import('croner') => (croner ??= createRequire(import.meta.url)('croner') as typeof import('croner'))

/** The problem with a time zone name, or undefined when it is an IANA zone this Node knows. */
export function checkTimezone(tz: string): string | undefined {
  try {
    new Intl.DateTimeFormat('en-US', {timeZone: tz})
    return undefined
  } catch {
    return `unknown time zone \`${tz}\`: expected an IANA zone such as UTC, Europe/Paris or America/New_York`
  }
}

/** A paused croner job for the expression (it never fires by itself): for next runs and matching only. */
export function cronOf(expr: string, timezone?: string): CronT {
  const {Cron} = load()
  return new Cron(expr.trim(), {timezone: timezone ?? 'UTC', paused: true, mode: '5-or-6-parts'})
}

/** The problem with a cron expression (and its time zone), or undefined when croner reads it and it ever fires. */
export function checkCron(expr: string, timezone?: string): string | undefined {
  const text = expr.trim()
  if (!text.startsWith('@')) {
    const fields = text.split(/\s+/).filter(Boolean).length
    if (fields !== 5 && fields !== 6) return `cron expression \`${expr}\` has ${fields} field${fields === 1 ? '' : 's'}: expected 5 (minute hour day month weekday), 6 (seconds first) or an @-nickname such as @hourly`
  }
  let cron: CronT
  try {
    cron = cronOf(text, timezone)
  } catch (e) {
    const why = ((e as Error).message ?? String(e)).replace(/^Cron\w*:\s*/, '').split('\n')[0]!.slice(0, 200)
    return `invalid cron expression \`${expr}\`: ${why}`
  }
  try {
    if (!cron.nextRun()) return `cron expression \`${expr}\` never fires (no such date)`
  } catch (e) {
    return `cron expression \`${expr}\` cannot be evaluated: ${((e as Error).message ?? String(e)).split('\n')[0]!.slice(0, 200)}`
  }
  return undefined
}

/** The next `n` run times after `from` (default now). */
export function nextRuns(expr: string, timezone: string | undefined, n: number, from?: Date): Date[] {
  return cronOf(expr, timezone).nextRuns(n, from)
}
