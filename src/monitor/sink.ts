/**
 * Where target files go: a directory of this machine, or a directory of a monitoring host reached over SSH (the
 * same transport, ssh_config and host key checks as every command). Both write atomically: a temporary name that
 * `*.json` does not match, mode 0644, then a rename; an unchanged file is not touched; an empty group's file is
 * removed. The last content applied is remembered, so a state write that changes no group costs nothing.
 */
import path from 'node:path'
import {readFile} from 'node:fs/promises'
import type {Host} from '../inventory/host.js'
import {shQuote} from '../transport/remote-command.js'
import type {Transport} from '../transport/types.js'
import {writeTargetFile, type WriteOutcome} from './write.js'

/** One file to make as given (`text`), or to remove (`text` undefined: the group has no hosts). */
export interface TargetFile {
  file: string
  text?: string
}

export interface TargetSink {
  /** `DIR` or `HOST:DIR`, for messages */
  where: string
  apply(files: TargetFile[]): Promise<Array<{file: string; outcome: WriteOutcome}>>
  read(file: string): Promise<string | undefined>
}

/** Only what changed since the last apply of this sink (everything, the first time). */
function changedSince(last: Map<string, string | undefined>, files: TargetFile[]): TargetFile[] {
  return files.filter((f) => !last.has(f.file) || last.get(f.file) !== f.text)
}

export function localSink(dir: string): TargetSink {
  const last = new Map<string, string | undefined>()
  return {
    where: dir,
    async apply(files) {
      const out = []
      for (const f of changedSince(last, files)) {
        out.push({file: path.join(dir, f.file), outcome: await writeTargetFile(dir, {file: f.file, text: f.text})})
        last.set(f.file, f.text)
      }
      return out
    },
    read: (file) => readFile(path.join(dir, file), 'utf8').catch(() => undefined),
  }
}

/** The shell script that applies `files` in `dir` on the monitoring host: one line of output per file, `OUTCOME FILE`. */
export function remoteApplyScript(dir: string, files: TargetFile[]): string {
  const lines = ['set -e', `d=${shQuote(dir)}`, 'mkdir -p "$d"', 'chmod 0755 "$d" 2>/dev/null || true']
  for (const f of files) {
    lines.push(`f=${shQuote(f.file)}`)
    if (f.text === undefined) lines.push('if [ -e "$d/$f" ]; then rm -f "$d/$f"; echo "removed $f"; else echo "absent $f"; fi')
    else
      lines.push(
        `t="$d/.$f.$$.tmp"; printf '%s' ${shQuote(Buffer.from(f.text).toString('base64'))} | base64 -d > "$t"; chmod 0644 "$t"`,
        'if cmp -s "$t" "$d/$f"; then rm -f "$t"; echo "unchanged $f"; else mv -f "$t" "$d/$f"; echo "written $f"; fi',
      )
  }
  return lines.join('\n') + '\n'
}

/** Each apply or read connects, runs one command and closes: an env command writes targets a few times at most. */
export function sshSink(dir: string, host: () => Promise<Host>, transport: () => Transport, name: string): TargetSink {
  const last = new Map<string, string | undefined>()
  const exec = async (command: string, stdin?: string) => {
    const t = transport()
    try {
      return await (await t.connect(await host())).exec(command, {stdin, deadlineMs: 30_000})
    } finally {
      await t.close()
    }
  }
  const where = `${name}:${dir}`
  return {
    where,
    async apply(files) {
      const todo = changedSince(last, files)
      if (!todo.length) return []
      const r = await exec('sh -s', remoteApplyScript(dir, todo))
      if (r.exitCode !== 0) throw new Error(`writing the target files in ${where} failed (exit ${r.exitCode ?? r.signal}): ${r.stderr.trim().split('\n').slice(-2).join(' / ')}`)
      for (const f of todo) last.set(f.file, f.text)
      return r.stdout
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => ({file: `${where}/${l.slice(l.indexOf(' ') + 1)}`, outcome: l.slice(0, l.indexOf(' ')) as WriteOutcome}))
    },
    async read(file) {
      const r = await exec(`cat ${shQuote(path.posix.join(dir, file))} 2>/dev/null`)
      return r.exitCode === 0 ? r.stdout : undefined
    },
  }
}
