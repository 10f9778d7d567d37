/**
 * When each host of an environment was last deployed to, from the newest deployment records only (bounded: the
 * grace guard needs recent ones): a host just deployed to is as young as a new one.
 */
import {readdir, readFile} from 'node:fs/promises'
import path from 'node:path'
import type {DeployReport} from '../deploy/deploy-job.js'
import {deploymentsDir} from '../deploy/records.js'

/** records looked at, newest first (their ids sort by time) */
const RECENT = 20

export async function lastDeployedAt(projectDir: string, env: string): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  const dir = deploymentsDir(projectDir)
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => /^d-[0-9-]+[0-9a-f]*\.json$/.test(n)).sort().reverse().slice(0, RECENT)
  for (const name of names) {
    let r: DeployReport
    try {
      r = JSON.parse(await readFile(path.join(dir, name), 'utf8')) as DeployReport
    } catch {
      continue
    }
    if (r.env !== env || !Array.isArray(r.results)) continue
    const ended = new Date(Date.parse(r.startedAt) + (Number(r.durationMs) || 0)).toISOString()
    for (const h of r.results) if (typeof h?.host === 'string' && (!out.has(h.host) || out.get(h.host)! < ended)) out.set(h.host, ended)
  }
  return out
}
