/**
 * Names of what dops makes on ELBv2: AWS limits load balancer and target group names to 32 characters (letters,
 * digits, hyphens; not starting or ending with a hyphen). `dops-<project>-<env>-<lb>[-<tg>]` is used when it fits,
 * else its first 23 characters and 8 hex digits of its SHA-256: deterministic, so a lookup by name finds it again.
 * The full identity is in the tags (dops:project, dops:env, dops:lb, dops:tg).
 */
import {createHash} from 'node:crypto'

export const ELB_NAME_MAX = 32

export function fitName(full: string): string {
  const clean = full.replace(/[^A-Za-z0-9-]/g, '-')
  if (clean.length <= ELB_NAME_MAX && clean === full && !full.endsWith('-')) return full
  const hash = createHash('sha256').update(full).digest('hex').slice(0, 8)
  return `${clean.slice(0, ELB_NAME_MAX - 9).replace(/-+$/, '')}-${hash}`
}

export const lbName = (project: string, env: string, lb: string) => fitName(`dops-${project}-${env}-${lb}`)
export const targetGroupName = (project: string, env: string, lb: string, tg: string) => fitName(`dops-${project}-${env}-${lb}-${tg}`)
export const lbTags = (project: string, env: string, lb: string, tg?: string) => ({'dops:project': project, 'dops:env': env, 'dops:lb': lb, ...(tg ? {'dops:tg': tg} : {})})
