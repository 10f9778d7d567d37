/**
 * Names of what dops makes on ELBv2: AWS limits load balancer and target group names to 32 characters (letters,
 * digits, hyphens; not starting or ending with a hyphen). A name is a readable prefix (`dops-<project>-<env>-<lb>
 * [-<tg>]`, cut to 23 characters) and 8 hex digits of the SHA-256 of the identity tuple
 * (JSON `[project, env, lb, tg?]`): always hashed, so `prod` + `eu-web` and `prod-eu` + `web` never share a name,
 * and deterministic, so a lookup by name finds it again. The full identity is in the tags (dops:project, dops:env,
 * dops:lb, dops:tg), which every lookup checks (elb-sdk.ts, targets-api.ts) before using what it found.
 */
import {createHash} from 'node:crypto'
import {DopsError, ExitCode} from '../../errors.js'

export const ELB_NAME_MAX = 32
const PREFIX_MAX = ELB_NAME_MAX - 9

/** `readable` cut and cleaned, then `-` and the identity's hash. */
export function identityName(readable: string, identity: string[]): string {
  const hash = createHash('sha256').update(JSON.stringify(identity)).digest('hex').slice(0, 8)
  const prefix = readable.replace(/[^A-Za-z0-9-]/g, '-').replace(/-{2,}/g, '-').slice(0, PREFIX_MAX).replace(/-+$/, '')
  return `${prefix}-${hash}`
}

export const lbName = (project: string, env: string, lb: string) => identityName(`dops-${project}-${env}-${lb}`, [project, env, lb])
export const targetGroupName = (project: string, env: string, lb: string, tg: string) => identityName(`dops-${project}-${env}-${lb}-${tg}`, [project, env, lb, tg])
export const lbTags = (project: string, env: string, lb: string, tg?: string) => ({'dops:project': project, 'dops:env': env, 'dops:lb': lb, ...(tg ? {'dops:tg': tg} : {})})

/** The dops tags of `want` that `have` lacks or has otherwise (`key=value (found: x)`), empty when they match. */
export function tagMismatch(want: Record<string, string>, have: Record<string, string>): string[] {
  return Object.entries(want)
    .filter(([k, v]) => have[k] !== v)
    .map(([k, v]) => `${k}=${v} (found: ${have[k] === undefined ? 'none' : have[k]})`)
}

/** A resource found by its dops name whose tags are not the identity it was looked up for: refused, never changed. */
export function foreignError(what: string, name: string, wrong: string[]): DopsError {
  return new DopsError('PROVIDER_ERROR', `aws: ${what} found by its name ${name} is not dops's (its tags differ: ${wrong.join(', ')}); dops neither changes nor deletes it: rename or remove it, or check the project and environment names`, {exitCode: ExitCode.PROVIDER_FAILED})
}
