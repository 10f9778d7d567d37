/**
 * The Install step as a shell fragment for the driver. Unlike the agent, it checks every conflict before it removes
 * anything: DISALLOW refuses to overwrite a file the previous Install did not create; RETAIN keeps it; OVERWRITE
 * replaces it. Then it removes the previous Install's files (reverse order; directories only when empty), copies,
 * records exactly what it created in `cleanup`, and applies permissions in the agent's order (chmod, setfacl, SELinux
 * context with semanage + restorecon where SELinux is enabled, chown).
 */
import path from 'node:path'
import {shQuote} from '../../transport/remote-command.js'
import type {Appspec, FileExistsBehavior} from '../appspec/types.js'
import type {InstallOp} from '../install-plan.js'
import type {PermissionAction} from '../permissions-plan.js'
import type {HostLayout} from '../host-layout.js'
import {MARKER} from './markers.js'

export const CONFLICT_EXIT = 41

function heredoc(tag: string, lines: string[]): string {
  return `<<'${tag}'\n${lines.join('\n')}${lines.length ? '\n' : ''}${tag}`
}

export function buildInstallScript(o: {appspec: Appspec; ops: InstallOp[]; permissions: PermissionAction[]; layout: HostLayout; revision: string; behavior?: FileExistsBehavior}): string {
  const A = o.layout.archive(o.revision)
  const behavior = o.appspec.fileExistsBehavior ?? o.behavior ?? 'DISALLOW'
  const copies = o.ops.filter((op) => op.kind !== 'mkdir')
  const q = shQuote
  const out: string[] = [
    `A=${q(A)}; CLEAN=${q(o.layout.cleanup)}; NEW=${q(o.layout.cleanup + '.new')}`,
    'was_ours() { [ -f "$CLEAN" ] && grep -qxF -- "$1" "$CLEAN"; }',
    'exists() { [ -e "$1" ] || [ -L "$1" ]; }',
  ]
  // 1. conflicts, before anything changes
  if (behavior !== 'OVERWRITE' && copies.length) {
    out.push(
      'conflicts=0',
      `while IFS= read -r p; do if exists "$p" && ! was_ours "$p"; then ${behavior === 'DISALLOW' ? `printf '%s conflict %s\\n' ${q(MARKER)} "$p"; conflicts=$((conflicts + 1))` : 'echo "$p" >> "$NEW.retain"'}; fi; done ${heredoc('DOPS_DESTINATIONS', copies.map((c) => c.destination))}`,
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
  if (dirs.size) out.push(`while IFS= read -r d; do if [ ! -d "$d" ]; then mkdir "$d" && echo "$d" >> "$NEW" || exit 1; fi; done ${heredoc('DOPS_DIRS', [...dirs])}`)
  if (copies.length) {
    const retain = behavior === 'RETAIN' ? 'if [ -f "$NEW.retain" ] && grep -qxF -- "$d" "$NEW.retain"; then continue; fi; ' : ''
    out.push(
      `while IFS='\t' read -r kind s d; do ${retain}echo "$d" >> "$NEW"; rm -f "$d"; if [ "$kind" = l ]; then cp -P "$A/$s" "$d"; else cp -p "$A/$s" "$d"; fi || exit 1; done ${heredoc(
        'DOPS_FILES',
        copies.map((c) => `${c.kind === 'symlink' ? 'l' : 'f'}\t${c.source}\t${c.destination}`),
      )}`,
    )
  }
  out.push('rm -f "$NEW.retain"')
  // 4. permissions, per path, in the agent's order: chmod, setfacl, SELinux context (semanage + restorecon), chown
  const used = o.permissions.map((a) => o.appspec.permissions[a.permission]!)
  if (used.some((p) => p.acls.length)) out.push(`command -v setfacl >/dev/null 2>&1 || { echo "this revision's permissions set ACLs, and setfacl is not installed on this host (install the acl package)" >&2; exit 1; }`)
  if (used.some((p) => p.context)) out.push('SELINUX=no; if command -v selinuxenabled >/dev/null 2>&1 && selinuxenabled; then SELINUX=yes; command -v semanage >/dev/null 2>&1 || { echo "this revision sets SELinux contexts, and semanage is not installed on this host (policycoreutils-python-utils)" >&2; exit 1; }; fi')
  let warned = false
  for (const a of o.permissions) {
    const p = o.appspec.permissions[a.permission]!
    const target = q(a.path)
    if (p.mode) out.push(`chmod ${p.mode} ${target} || exit 1`)
    if (p.acls.length) out.push(`setfacl -m ${q(p.acls.join(','))} ${target} || exit 1`)
    if (p.context) {
      // the fcontext rule is a regular expression: the path is escaped so it matches exactly this path
      const rule = a.path.replace(/[.[\]()*+?^${}|\\]/g, '\\$&')
      const args = [`-t ${q(p.context.type)}`, p.context.name ? `-s ${q(p.context.name)}` : '', p.context.range ? `-r ${q(p.context.range)}` : ''].filter(Boolean).join(' ')
      out.push(`if [ "$SELINUX" = yes ]; then semanage fcontext -a ${args} ${q(rule)} && restorecon ${target} || exit 1; echo ${q('semanage:' + rule)} >> "$NEW"; fi`)
      if (!warned) {
        out.push(`[ "$SELINUX" = yes ] || echo "SELinux is not enabled on this host: the appspec's SELinux contexts were not applied" >&2`)
        warned = true
      }
    }
    if (p.owner || p.group) out.push(`chown ${q(`${p.owner ?? ''}${p.group ? ':' + p.group : ''}`)} ${target} || exit 1`)
  }
  out.push('mv "$NEW" "$CLEAN"', `printf '%s installed %s\\n' ${q(MARKER)} ${copies.length}`)
  return out.join('\n')
}
