/**
 * Watch for a secret in process command lines while something runs: every process's argv on this machine (the test
 * hosts' PID namespaces are nested in ours) and, over a second SSH session with the system `ssh`, on the host itself.
 */
import {execFile} from 'node:child_process'
import {readdirSync, readFileSync} from 'node:fs'

/** every process's argv seen on this machine */
export function localArgvs(): string[] {
  const out: string[] = []
  for (const d of readdirSync('/proc'))
    if (/^\d+$/.test(d))
      try {
        out.push(readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').join(' '))
      } catch {
        // the process ended meanwhile
      }
  return out
}

function hostArgvs(sshConfig: string, host: string): Promise<string[]> {
  return new Promise((resolve) =>
    execFile('ssh', ['-F', sshConfig, '-o', 'BatchMode=yes', host, `for f in /proc/[0-9]*/cmdline; do tr '\\0' ' ' < "$f" 2>/dev/null; echo; done`], {timeout: 10_000}, (_e, stdout) => resolve(String(stdout).split('\n'))),
  )
}

/**
 * Start watching; `stop()` returns where the needles were seen, how many rounds ran, and on which hosts `proof` (a
 * piece of the running command's own command line) was seen: proof the host's processes were read while it ran.
 */
export function watchArgv(needles: string[], sshConfig: string, hosts: string[], proof: string): {stop: () => Promise<{seen: string[]; rounds: number; proven: string[]}>} {
  let running = true
  const seen = new Set<string>()
  const proven = new Set<string>()
  let rounds = 0
  const check = (where: string, lines: string[]) => {
    for (const l of lines) for (const n of needles) if (l.includes(n)) seen.add(`${where}: ${l}`)
    if (where !== 'here' && lines.some((l) => l.includes(proof))) proven.add(where.slice(3))
  }
  const loop = (async () => {
    // bounded: a run that hangs is ended by the test's own timeout well before this
    for (let i = 0; running && i < 2000; i++) {
      check('here', localArgvs())
      await Promise.all(hosts.map(async (h) => check(`on ${h}`, await hostArgvs(sshConfig, h))))
      rounds++
      await new Promise((r) => setTimeout(r, 30))
    }
  })()
  return {
    stop: async () => {
      running = false
      await loop
      return {seen: [...seen], rounds, proven: [...proven].sort()}
    },
  }
}
