/**
 * The one table of exit codes. Commands map results and errors onto it; `dops --help` shows it.
 */
export const ExitCode = {
  /** everything asked for succeeded on every host */
  OK: 0,
  /** an unexpected internal error (a bug: please report it) */
  INTERNAL: 1,
  /** bad input: flags, plan, inventory, appspec; nothing was changed on any host */
  INVALID_INPUT: 2,
  /** some hosts failed, timed out or were unreachable; the others succeeded */
  SOME_FAILED: 3,
  /** no host could be reached (or every host failed) */
  NONE_SUCCEEDED: 4,
  /** the run was stopped early: the failure budget was exceeded */
  BUDGET_EXCEEDED: 5,
  /** interrupted (Ctrl-C / SIGTERM) after in-flight hosts finished */
  INTERRUPTED: 6,
  /** nothing matched: no host selected, no run to retry */
  NOTHING_TO_DO: 7,
  /** `env plan --detailed-exitcode`: the plan has changes (Terraform's 2, which is invalid input here) */
  PLAN_CHANGES: 10,
  /** a deployment failed and the changed hosts were rolled back to the last good revision */
  DEPLOY_ROLLED_BACK: 20,
  /** a deployment failed and was not (or could not be) rolled back */
  DEPLOY_FAILED: 21,
  /** the deploy lock is held by another deployment */
  DEPLOY_LOCKED: 22,
  /** a provider's API call failed (cloud error, missing permission or credentials); what was made is recorded */
  PROVIDER_FAILED: 23,
} as const
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode]

export const EXIT_CODE_HELP = `EXIT CODES
  0  every host succeeded
  1  internal error (a bug)
  2  invalid input (flags, plan, inventory); nothing changed on any host
  3  some hosts failed, timed out or were unreachable
  4  no host succeeded (none reached, or all failed)
  5  stopped early: the failure budget was exceeded
  6  interrupted (Ctrl-C); in-flight hosts were allowed to finish
  7  nothing to do: no host matched the selection
  10 env plan --detailed-exitcode: there are changes to apply
  20 deployment failed; the changed hosts were rolled back
  21 deployment failed and was not rolled back
  22 the deploy lock is held by another deployment
  23 a provider's API call failed (cloud error, permissions, credentials)`

export interface ProblemLocation {
  file?: string
  line?: number
  column?: number
}

/** One problem in user input: where it is, which field, what was expected. */
export interface Problem extends ProblemLocation {
  /** JSON-pointer-like path of the field, e.g. `environments.prod.groups.web.hosts[2]` */
  path?: string
  message: string
  suggestion?: string
  severity?: 'error' | 'warning'
}

export function formatProblem(p: Problem): string {
  const where = [p.file, p.line, p.column].filter((x) => x !== undefined && x !== '').join(':')
  const field = p.path ? `${p.path}: ` : ''
  const hint = p.suggestion ? ` (${p.suggestion})` : ''
  return `${where ? where + ': ' : ''}${p.severity === 'warning' ? 'warning: ' : ''}${field}${p.message}${hint}`
}

/** An error raised before anything changed on a host. Carries its exit code and structured details. */
export class DopsError extends Error {
  readonly code: string
  readonly exitCode: ExitCodeValue
  readonly problems: Problem[]

  constructor(code: string, message: string, opts: {exitCode?: ExitCodeValue; problems?: Problem[]; cause?: unknown} = {}) {
    super(message, {cause: opts.cause})
    this.name = 'DopsError'
    this.code = code
    this.exitCode = opts.exitCode ?? ExitCode.INVALID_INPUT
    this.problems = opts.problems ?? []
  }
}

export class InvalidInputError extends DopsError {
  constructor(message: string, problems: Problem[] = []) {
    super('INVALID_INPUT', message, {exitCode: ExitCode.INVALID_INPUT, problems})
  }
}
