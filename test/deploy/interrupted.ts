/** A dops command spawned in the background, and the checks after a signal mid-rollout (deploy and rollback alike). */
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {existsSync} from 'node:fs'
import path from 'node:path'
import type {DeployReport} from '../../src/deploy/deploy-job.js'
import type {Fleet} from '../fleet/fleet.js'
import {BIN} from '../helpers.js'

/** `dops ARGS` in `cwd` (as in CI), its output collected. */
export function spawnDops(args: string[], cwd: string) {
  const child = spawn(process.execPath, [BIN, ...args], {cwd, env: {...process.env, CI: 'true'}})
  const out = {stdout: '', stderr: ''}
  child.stdout.on('data', (d: Buffer) => (out.stdout += d))
  child.stderr.on('data', (d: Buffer) => (out.stderr += d))
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)))
  return {child, out, exited}
}

/**
 * Waits (bounded) for the first host's hook to touch /srv/started-APP, sends `sig`, and checks what every interrupted
 * rollout must show: exit 6, the message, status aborted, one host done and the others skipped, the in-flight hook
 * run to its end (/srv/finished-APP). Returns the index of the host in flight and the report.
 */
export async function interruptMidRollout(fleet: Fleet, app: string, sig: NodeJS.Signals, run: ReturnType<typeof spawnDops>): Promise<{first: number; report: DeployReport}> {
  const onHost = (i: number, f: string) => path.join(fleet.hosts[i]!.fsDir, f)
  const started = (): number => fleet.hosts.findIndex((_, i) => existsSync(onHost(i, `srv/started-${app}`)))
  for (let i = 0; i < 300 && started() < 0; i++) await new Promise((r) => setTimeout(r, 100))
  const first = started()
  assert.ok(first >= 0, `no hook started: ${run.out.stderr}`)
  run.child.kill(sig)
  const code = await Promise.race([run.exited, new Promise((r) => setTimeout(() => r('hung'), 60_000))])
  if (code === 'hung') run.child.kill('SIGKILL')
  assert.equal(code, 6, run.out.stderr)
  assert.match(run.out.stderr, /stopping: no new host will start; in-flight hosts finish/)
  const report = JSON.parse(run.out.stdout) as DeployReport
  assert.equal(report.status, 'aborted')
  assert.deepEqual(report.results.map((x) => x.status).sort(), ['ok', 'skipped', 'skipped'])
  assert.ok(existsSync(onHost(first, `srv/finished-${app}`)), 'the host in flight ran its hook to the end')
  for (const [i] of fleet.hosts.entries()) if (i !== first) assert.equal(existsSync(onHost(i, `srv/started-${app}`)), false, 'no other host started')
  return {first, report}
}
