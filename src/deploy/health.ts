/**
 * The health gate after a host's ValidateService: a command run on the host, or an HTTP URL fetched from the host
 * (curl, else wget), retried. A failure says why: status, body excerpt, attempts, timings. The check is a script
 * sent on stdin (`sh -s`): a command or URL holding a secret never appears on a command line on the host.
 */
import {shQuote} from '../transport/remote-command.js'
import type {Connection} from '../transport/types.js'
import {parseDuration} from '../util/duration.js'

export interface HealthCheckSpec {
  http?: string
  command?: string
  expectStatus?: number
  retries?: number
  interval?: number | string
  timeout?: number | string
}

export interface HealthReport {
  ok: boolean
  attempts: number
  durationMs: number
  /** last HTTP status, when the check is HTTP */
  status?: number
  /** last response body or command output, trimmed to 200 characters */
  excerpt?: string
  reason?: string
}

/** `$DOPS_HOST` and `$DOPS_HOST_ADDRESS` (or `${...}`) in a URL become the host's name and address. */
export function expandHostVars(text: string, env: Record<string, string>): string {
  return text.replace(/\$\{?(DOPS_HOST_ADDRESS|DOPS_HOST)\}?/g, (_m, k: string) => env[k] ?? '')
}

export function buildHealthCommand(spec: HealthCheckSpec, env: Record<string, string> = {}): string {
  const t = Math.max(1, Math.ceil((parseDuration(spec.timeout) ?? 5000) / 1000))
  const vars = Object.entries(env).map(([k, v]) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new Error(`invalid environment variable name: ${k}`)
    return `${k}=${shQuote(v)}; export ${k}`
  })
  if (spec.http) {
    const url = shQuote(expandHostVars(spec.http, env))
    // the body goes to a file made by mktemp (a private, unpredictable name), removed on exit
    return `f=$(mktemp) || exit 1; trap 'rm -f "$f"' EXIT; if command -v curl >/dev/null 2>&1; then curl -s -m ${t} -o "$f" -w '%{http_code}' ${url}; else wget -q -T ${t} -S -O "$f" ${url} 2>&1 | awk '/HTTP\\//{c=$2} END{printf "%s", c}'; fi; echo; head -c 200 "$f" 2>/dev/null`
  }
  // the command reaches its shell through the environment, not as an argument
  return [...vars, `DOPS_HEALTH_COMMAND=${shQuote(spec.command ?? 'true')}; export DOPS_HEALTH_COMMAND`, `out=$(timeout -k 2 ${t} sh -c 'eval "$DOPS_HEALTH_COMMAND"' 2>&1 </dev/null); rc=$?; printf '%s' "$out" | head -c 200; exit $rc`].join('\n')
}

export async function checkHealth(conn: Connection, spec: HealthCheckSpec, signal?: AbortSignal, env: Record<string, string> = {}): Promise<HealthReport> {
  const tries = (spec.retries ?? 0) + 1
  const interval = parseDuration(spec.interval) ?? 1000
  const start = performance.now()
  let last: HealthReport = {ok: false, attempts: 0, durationMs: 0}
  for (let i = 1; i <= tries && !signal?.aborted; i++) {
    const r = await conn.exec('sh -s', {stdin: buildHealthCommand(spec, env), signal})
    const durationMs = performance.now() - start
    if (spec.http) {
      const [code, ...body] = r.stdout.split('\n')
      const status = Number(code) || 0
      const want = spec.expectStatus ?? 200
      last = {ok: status === want, attempts: i, durationMs, status, excerpt: body.join('\n').trim().slice(0, 200), reason: status === want ? undefined : status === 0 ? `no HTTP response from ${expandHostVars(spec.http, env)}` : `HTTP ${status} from ${expandHostVars(spec.http, env)}, expected ${want}`}
    } else {
      last = {ok: r.exitCode === 0, attempts: i, durationMs, excerpt: r.stdout.trim().slice(0, 200), reason: r.exitCode === 0 ? undefined : `\`${spec.command}\` exited with ${r.exitCode}`}
    }
    if (last.ok) return last
    if (i < tries) await new Promise((res) => setTimeout(res, interval))
  }
  return {...last, reason: `${last.reason} after ${last.attempts} attempt(s) over ${(last.durationMs / 1000).toFixed(1)}s`}
}
