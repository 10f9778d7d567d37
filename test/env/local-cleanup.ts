/**
 * After-hook cleanup for tests that start local-provider sandboxes: `env down --yes` first (what a user would run);
 * if that failed or left anything (a test that failed half-way, a command killed at its timeout), every process
 * still running from this environment's own directory is killed and the directory and its address range released,
 * so the next test file starts from nothing. Only this test's environment directory (keyed by its temporary project
 * directory) is looked at: nothing another run owns is touched.
 */
import {existsSync, readdirSync, readFileSync, rmSync} from 'node:fs'
import {localEnvRoot, releaseLocalEnv} from '../../src/providers/local/provider.js'
import {dops} from '../helpers.js'

/** pids whose command line names a file under `root` (the sandboxes' `unshare ... sshd -f <root>/hosts/<h>/sshd_config`) */
function processesUnder(root: string): number[] {
  const out: number[] = []
  for (const name of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(`${root}/`)) out.push(Number(name))
    } catch {
      // gone meanwhile
    }
  }
  return out
}

export async function cleanUpLocalEnv(o: {project: string; projectDir: string; env: string; dopsEnv?: NodeJS.ProcessEnv}): Promise<string[]> {
  const down = await dops(['env', 'down', '-e', o.env, '--yes'], {cwd: o.projectDir, env: o.dopsEnv})
  const root = localEnvRoot(o.project, o.env, o.projectDir)
  const left = processesUnder(root)
  for (const pid of left) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // already gone
    }
  }
  if (existsSync(root)) await releaseLocalEnv(o.project, o.env, o.projectDir)
  const problems = [down.code === 0 ? '' : `env down -e ${o.env} exited ${down.code}: ${down.stderr.trim().split('\n').slice(-3).join(' / ')}`, left.length ? `${left.length} process(es) left running were killed` : ''].filter(Boolean)
  return problems
}

export function removeProject(dir: string): void {
  rmSync(dir, {recursive: true, force: true})
}
