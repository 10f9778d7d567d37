/**
 * The environment every script dops runs on a host sees (`dops run`, bootstrap scripts, event handlers, appspec hooks,
 * traffic commands): the host's merged variables (plan < environment < group < inventory/host) and dops's own
 * DOPS_HOST, DOPS_HOST_ADDRESS, DOPS_GROUP, DOPS_ENV, DOPS_PROJECT. One builder for every call site; the values
 * travel on stdin (remote-command.ts `stdinEnv`, or the deploy driver's script), never on a command line.
 */
import type {Host} from '../inventory/host.js'

/** A name a variable may have in a script's environment. */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

/**
 * Whether a host variable goes into the environment: a valid shell name, not one of dops's own (`DOPS_*`, which dops
 * sets itself, and `DOPS__*`, the remote shell's scratch names) and not one of Ansible's (`ansible_*`: connection
 * settings and passwords such as ansible_password or ansible_become_pass, which are not the script's business).
 */
export function isScriptVar(name: string): boolean {
  return ENV_NAME.test(name) && !name.startsWith('DOPS_') && !name.toLowerCase().startsWith('ansible_')
}

/** A variable's value as the environment holds it: strings as they are, numbers and booleans as text, the rest JSON. */
export function envValue(value: unknown): string | undefined {
  if (value === undefined) return undefined
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value)
  return JSON.stringify(value)
}

/** The host variables a script sees (see `isScriptVar`); a value with a NUL byte cannot be in an environment and is left out. */
export function varsEnv(vars: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(vars)) {
    const s = envValue(v)
    if (s !== undefined && isScriptVar(k) && !s.includes('\0')) out[k] = s
  }
  return out
}

export interface HostEnvContext {
  /** the plan's `project`; with `-i INVENTORY` there is no plan and DOPS_PROJECT is empty */
  project?: string
  /** the environment's name (default: the host's `env`); empty with `-i INVENTORY` */
  env?: string
  /** the address SSH reaches the host at (an ssh_config alias resolved); default: the host's address */
  address?: string
}

/**
 * The environment of a script run on `h`: its variables, then `extra` (the call site's own: DOPS_EVENT, an app's
 * env, CodeDeploy's variables), then dops's host variables, which always win.
 */
export function hostEnv(h: Host, ctx: HostEnvContext, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...varsEnv(h.vars),
    ...extra,
    DOPS_HOST: h.name,
    DOPS_HOST_ADDRESS: ctx.address ?? h.address,
    DOPS_GROUP: h.group,
    DOPS_ENV: ctx.env ?? h.env ?? '',
    DOPS_PROJECT: ctx.project ?? '',
  }
}
