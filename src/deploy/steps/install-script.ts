/**
 * The Install step as a shell fragment for the driver. Unlike the agent, it checks every conflict before it removes
 * anything: DISALLOW refuses to overwrite a file the previous Install did not create; RETAIN keeps it; OVERWRITE
 * replaces it. Then it removes the previous Install's files (reverse order; directories only when empty), copies,
 * records exactly what it created in `cleanup`, and applies permissions in the agent's order (chmod, setfacl, SELinux
 * context with semanage + restorecon where SELinux is enabled, chown).
 */
import path from 'node:path'
import {InvalidInputError} from '../../errors.js'
import {shQuote} from '../../transport/remote-command.js'
import type {Appspec, FileExistsBehavior} from '../appspec/types.js'
import type {InstallOp} from '../install-plan.js'
import type {PermissionAction} from '../permissions-plan.js'
import type {HostLayout} from '../host-layout.js'
import {MARKER} from './markers.js'

export const CONFLICT_EXIT = 41

/**
 * Every path reaches the script as a single-quoted word (`shQuote`), never inside a here-document, so no string can
 * end a quoted region or a here-document early. Control characters other than TAB are refused all the same (defence
 * in depth, whatever validation let through): `cleanup` holds one path a line, and a line break would make the next
 * Install remove another path; a NUL cannot reach a shell at all.
 */
export function assertOneLine(value: string, what: string): void {
  const bad = /[\x00-\x08\x0a-\x1f\x7f]/.exec(value)
  if (bad) throw new InvalidInputError(`${what} ${JSON.stringify(value)} contains the control character ${JSON.stringify(bad[0])}; paths and script locations cannot; nothing was deployed`)
}

export function buildInstallScript(o: {appspec: Appspec; ops: InstallOp[]; permissions: PermissionAction[]; layout: HostLayout; revision: string; behavior?: FileExistsBehavior}): string {
  const A = o.layout.archive(o.revision)
  const behavior = o.appspec.fileExistsBehavior ?? o.behavior ?? 'DISALLOW'
  const copies = o.ops.filter((op) => op.kind !== 'mkdir')
  const q = shQuote
  for (const op of o.ops) {
    assertOneLine(op.destination, 'the install destination')
    if (op.source !== undefined) assertOneLine(op.source, 'the revision file')
  }
  for (const a of o.permissions) assertOneLine(a.path, 'the permission path')
  const out: string[] = [
    `A=${q(A)}; CLEAN=${q(o.layout.cleanup)}; NEW=${q(o.layout.cleanup + '.new')}`,
    'was_ours() { [ -f "$CLEAN" ] && grep -qxF -- "$1" "$CLEAN"; }',
    'exists() { [ -e "$1" ] || [ -L "$1" ]; }',
    // a failure midway: what this Install created is added to `cleanup`, so the next Install (the rollback) removes it
    `fail() { echo "Install: $1" >&2; if [ -f "$NEW" ]; then cat "$NEW" >> "$CLEAN"; rm -f "$NEW"; fi; rm -f "$NEW.retain"; exit 1; }`,
  ]
  // 1. conflicts, before anything changes
  if (behavior !== 'OVERWRITE' && copies.length) {
    out.push(
      'conflicts=0',
      `check() { if exists "$1" && ! was_ours "$1"; then ${behavior === 'DISALLOW' ? `printf '%s conflict %s\\n' ${q(MARKER)} "$1"; conflicts=$((conflicts + 1))` : `printf '%s\\n' "$1" >> "$NEW.retain"`}; fi; }`,
      ...copies.map((c) => `check ${q(c.destination)}`),
    )
    if (behavior === 'DISALLOW') out.push(`if [ "$conflicts" -gt 0 ]; then echo "the deployment failed because $conflicts file(s) already exist at their destination and were not installed by the previous deployment (file_exists_behavior DISALLOW)" >&2; exit ${CONFLICT_EXIT}; fi`)
  }
  // 2. remove what the previous Install created, deepest first
  out.push(
    // `semanage:PATH` lines: SELinux file contexts this Install added, removed as the agent does
    'if [ -f "$CLEAN" ]; then tac "$CLEAN" | while IFS= read -r p; do case "$p" in semanage:*) semanage fcontext -d "${p#semanage:}" 2>/dev/null; continue ;; esac; if [ -d "$p" ] && [ ! -L "$p" ]; then rmdir "$p" 2>/dev/null; else rm -f "$p"; fi; done; fi',
    ': > "$NEW"',
  )
  // 3. directories (missing ancestors too), then files; each recorded before it is written, as the agent does
  const dirs = new Set<string>()
  for (const op of o.ops) {
    const chain: string[] = []
    for (let d = op.kind === 'mkdir' ? op.destination : path.posix.dirname(op.destination); d !== '/' && !dirs.has(d); d = path.posix.dirname(d)) chain.unshift(d)
    chain.forEach((d) => dirs.add(d))
  }
  if (dirs.size) {
    out.push(`mkd() { if [ ! -d "$1" ]; then mkdir -- "$1" && printf '%s\\n' "$1" >> "$NEW" || fail "cannot create the directory $1"; fi; }`)
    out.push(...[...dirs].map((d) => `mkd ${q(d)}`))
  }
  if (copies.length) {
    const retain = behavior === 'RETAIN' ? 'if [ -f "$NEW.retain" ] && grep -qxF -- "$3" "$NEW.retain"; then return 0; fi; ' : ''
    out.push(`put() { ${retain}printf '%s\\n' "$3" >> "$NEW"; rm -f -- "$3"; if [ "$1" = l ]; then cp -P -- "$A/$2" "$3"; else cp -p -- "$A/$2" "$3"; fi || fail "cannot install $3"; }`)
    out.push(...copies.map((c) => `put ${c.kind === 'symlink' ? 'l' : 'f'} ${q(c.source!)} ${q(c.destination)}`))
  }
  out.push('rm -f "$NEW.retain"')
  // 4. permissions, per path, in the agent's order: chmod, setfacl, SELinux context (semanage + restorecon), chown
  const used = o.permissions.map((a) => o.appspec.permissions[a.permission]!)
  if (used.some((p) => p.acls.length)) out.push(`command -v setfacl >/dev/null 2>&1 || fail "this revision's permissions set ACLs, and setfacl is not installed on this host (install the acl package)"`)
  if (used.some((p) => p.context)) out.push('SELINUX=no; if command -v selinuxenabled >/dev/null 2>&1 && selinuxenabled; then SELINUX=yes; command -v semanage >/dev/null 2>&1 || fail "this revision sets SELinux contexts, and semanage is not installed on this host (policycoreutils-python-utils)"; fi')
  let warned = false
  for (const a of o.permissions) {
    const p = o.appspec.permissions[a.permission]!
    const target = q(a.path)
    if (p.mode) out.push(`chmod ${p.mode} ${target} || fail ${q(`cannot chmod ${a.path}`)}`)
    if (p.acls.length) out.push(`setfacl -m ${q(p.acls.join(','))} ${target} || fail ${q(`cannot set the ACLs of ${a.path}`)}`)
    if (p.context) {
      // the fcontext rule is a regular expression: the path is escaped so it matches exactly this path
      const rule = a.path.replace(/[.[\]()*+?^${}|\\]/g, '\\$&')
      const args = [`-t ${q(p.context.type)}`, p.context.name ? `-s ${q(p.context.name)}` : '', p.context.range ? `-r ${q(p.context.range)}` : ''].filter(Boolean).join(' ')
      out.push(`if [ "$SELINUX" = yes ]; then semanage fcontext -a ${args} ${q(rule)} && restorecon ${target} || fail ${q(`cannot set the SELinux context of ${a.path}`)}; echo ${q('semanage:' + rule)} >> "$NEW"; fi`)
      if (!warned) {
        out.push(`[ "$SELINUX" = yes ] || echo "SELinux is not enabled on this host: the appspec's SELinux contexts were not applied" >&2`)
        warned = true
      }
    }
    if (p.owner || p.group) out.push(`chown ${q(`${p.owner ?? ''}${p.group ? ':' + p.group : ''}`)} ${target} || fail ${q(`cannot chown ${a.path}`)}`)
  }
  out.push('mv "$NEW" "$CLEAN"', `printf '%s installed %s\\n' ${q(MARKER)} ${copies.length}`)
  return out.join('\n')
}
