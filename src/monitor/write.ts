/**
 * Target files written so Prometheus never reads half of one: a temporary name in the same directory that its
 * `*.json` pattern does not match, then a rename; readable by the `prometheus` user (0644). A group without hosts has
 * no file (Prometheus drops its targets when the file goes). Only files named `dops_<project>_<env>_<group>.json`
 * are ever written or removed.
 */
import {readFile, rm} from 'node:fs/promises'
import {writeFileAtomic} from '../util/atomic-json.js'
import path from 'node:path'
import type {GroupTargets} from './targets.js'

export type WriteOutcome = 'written' | 'unchanged' | 'removed' | 'absent'

export function targetsText(g: GroupTargets): string {
  return JSON.stringify(g.targets, null, 2) + '\n'
}

/** The file's content, or undefined when the group has no targets (its file is removed). */
export function targetsContent(g: GroupTargets): string | undefined {
  return g.targets.length ? targetsText(g) : undefined
}

export async function writeTargetFile(dir: string, g: {file: string; text?: string}): Promise<WriteOutcome> {
  const file = path.join(dir, g.file)
  const before = await readFile(file, 'utf8').catch(() => undefined)
  const text = g.text
  if (text === undefined) {
    if (before === undefined) return 'absent'
    await rm(file, {force: true})
    return 'removed'
  }
  if (before === text) return 'unchanged'
  await writeFileAtomic(file, text)
  return 'written'
}
