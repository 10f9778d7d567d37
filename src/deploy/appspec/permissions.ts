/** The `permissions` section: objects, patterns, types, modes, ACLs and SELinux contexts, checked like the agent. */
import type {PathSegment} from '../../plan/yaml-source.js'
import type {Permission} from './types.js'
import {controlCharIn, showPath} from './paths.js'

export interface SectionContext {
  err(path: PathSegment[], message: string, onKey?: boolean): void
  warn(path: PathSegment[], message: string, onKey?: boolean): void
  /** an agent footgun: an error in strict mode, a warning in compat mode */
  footgun(path: PathSegment[], message: string, onKey?: boolean): void
  strict: boolean
  /** the value as written in the file */
  raw(path: PathSegment[]): string | undefined
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const KEYS = ['object', 'pattern', 'except', 'type', 'owner', 'group', 'mode', 'acls', 'context']

/** `[d[efault]:][u[ser]|g[roup]|m[ask]|o[ther]:]name:perms` with perms of rwx- or one octal digit. */
export function checkAcl(entry: string): string | undefined {
  let parts = entry.trim().split(':')
  if (['d', 'default'].includes(parts[0]!)) parts = parts.slice(1)
  let kind = 'user'
  if (parts.length === 3) {
    const k = parts[0]!
    kind = ({u: 'user', user: 'user', g: 'group', group: 'group', m: 'mask', mask: 'mask', o: 'other', other: 'other'} as Record<string, string>)[k] ?? ''
    if (!kind) return `the access control list (ACL) entry ${entry} has an invalid type (${k}); expected user, group, mask or other`
    parts = parts.slice(1)
  }
  if (parts.length !== 2) return `invalid acl entry (${entry}); expected [d:][u|g|m|o:]name:perms`
  const [name, perms] = parts as [string, string]
  if (!name && (kind === 'user' || kind === 'group')) return `use mode to set the base acl entry (${entry})`
  if (name && (kind === 'mask' || kind === 'other')) return `invalid acl entry (${entry}): ${kind} entries take no name`
  if (!/^([rwx-]{1,3}|[0-7])$/.test(perms)) return `the access control list (ACL) entry ${entry} has invalid permissions (${perms}); use rwx- letters or one octal digit`
  return undefined
}

const RANGE = /^s\d+(:c\d+(\.c\d+)?(,c\d+(\.c\d+)?)*)?(-s\d+(:c\d+(\.c\d+)?(,c\d+(\.c\d+)?)*)?)?$/

export function parsePermissions(value: unknown, cx: SectionContext): Permission[] {
  if (value === null || value === undefined) return []
  if (!Array.isArray(value)) {
    cx.err(['permissions'], 'permissions must be a list of entries (`- object: /path`)')
    return []
  }
  const out: Permission[] = []
  value.forEach((item: unknown, i) => {
    const at = (...rest: PathSegment[]) => ['permissions', i, ...rest]
    if (!isObj(item)) return cx.err(at(), 'each permission must be a mapping with at least `object`')
    for (const k of Object.keys(item)) if (!KEYS.includes(k)) cx.warn(at(k), `unknown key \`${k}\` in a permission is ignored (keys: ${KEYS.join(', ')})`, true)
    const object = typeof item.object === 'string' ? item.object.trim() : ''
    if (!object) return cx.err(at(), 'a permission listed in the application specification file has no object value')
    for (const [key, v] of [['object', object], ['pattern', item.pattern], ...((Array.isArray(item.except) ? item.except : []) as unknown[]).map((x) => ['except', x] as const)] as const) {
      const ctl = typeof v === 'string' ? controlCharIn(v) : undefined
      if (ctl) return cx.err(at(key), `${key} \`${showPath(v as string)}\` contains ${ctl}; paths may not contain control characters`)
    }
    if (!object.startsWith('/')) cx.footgun(at('object'), `object \`${object}\` is not an absolute path; permissions apply to installed files, e.g. /var/www/html`)
    const list = (key: string): string[] => {
      const v = item[key]
      if (v === undefined || v === null) return []
      if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) {
        cx.err(at(key), `${key} must be a list of strings (e.g. ${key}: [${key === 'type' ? 'file' : key === 'acls' ? 'u:deploy:rw' : 'tmp'}])`)
        return []
      }
      return v as string[]
    }
    const type = list('type')
    for (const t of type) if (t !== 'file' && t !== 'directory') cx.err(at('type'), `a permission is specified for an object type not supported for permissions (${t}); use file or directory`)
    const acls = list('acls')
    acls.forEach((a, j) => {
      const problem = checkAcl(a)
      if (problem) cx.err(at('acls', j), problem)
    })
    let mode: string | undefined
    if (item.mode !== undefined && item.mode !== null) {
      const raw = cx.raw(at('mode'))?.trim() ?? String(item.mode)
      let digits = typeof item.mode === 'number' ? String(item.mode) : String(item.mode).trim()
      if (typeof item.mode === 'number' && /^0[0-9]+$/.test(raw)) {
        cx.footgun(at('mode'), `mode ${raw} is not quoted: YAML reads a leading zero as octal, so the CodeDeploy agent would apply ${String(item.mode).padStart(4, '0')} (or reject it); write mode: '${raw}' or mode: ${raw.replace(/^0+(?=\d{3})/, '')}`)
        digits = raw
      }
      if (digits.length < 1 || digits.length > 4) cx.err(at('mode'), `the length of a permissions mode (${digits}) must be between one and four characters long`)
      else {
        const bad = [...digits].find((c) => !/[0-7]/.test(c))
        if (bad !== undefined) cx.err(at('mode'), `the permissions mode (${digits}) contains an invalid character (${bad}); use octal digits 0-7`)
        else mode = digits.padStart(3, '0')
      }
    }
    let context: Permission['context']
    if (item.context !== undefined && item.context !== null) {
      const c = item.context
      if (!isObj(c) || typeof c.type !== 'string') cx.err(at('context'), 'context must be a mapping with `type` (and optional `name`, `range`)')
      else {
        if ('user' in c) cx.footgun(at('context', 'user'), 'the agent reads the SELinux user from `name`, not `user` (the documentation is wrong); rename it to `name`', true)
        if (typeof c.range === 'string' && !RANGE.test(c.range)) cx.err(at('context', 'range'), `of a problem with the SELinux range specified (${c.range})`)
        context = {name: typeof c.name === 'string' ? c.name : typeof c.user === 'string' && !cx.strict ? c.user : undefined, type: c.type, range: typeof c.range === 'string' ? c.range : undefined}
      }
    }
    const str = (k: string) => {
      const v = item[k]
      if (v === undefined || v === null) return undefined
      if (typeof v !== 'string' && typeof v !== 'number') {
        cx.err(at(k), `${k} must be a user or group name`)
        return undefined
      }
      return String(v)
    }
    out.push({object, pattern: typeof item.pattern === 'string' ? item.pattern : '**', except: list('except'), type: type.length ? (type as Permission['type']) : ['file', 'directory'], owner: str('owner'), group: str('group'), mode, acls, context})
  })
  return out
}
