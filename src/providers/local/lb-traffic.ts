/**
 * A deploy's traffic control through a local load balancer's target group: `block` marks the host's upstream
 * server `down` and reloads nginx, returning once the old workers are gone (requests in flight finished; no new
 * one reaches the host); `allow` checks the target as the target group's health check says (HTTP GET of its path,
 * the matcher's codes; or a TCP connect), then puts the server back and reloads.
 */
import http from 'node:http'
import https from 'node:https'
import type {Host} from '../../inventory/host.js'
import type {ResourceScope, TrafficControl} from '../../env/resources.js'
import type {TargetGroupSpec} from '../../plan/types.js'
import {answers} from './sandbox.js'
import {runningLbHost} from './lb-host.js'
import {planLbs, updateLb} from './lb-update.js'

/** how long `allow` waits for the target to pass its check */
const CHECK_TIMEOUT_MS = 300_000

/** Does `code` match an ELBv2 matcher (`200`, `200,202`, `200-299`)? Default 200. */
export function codeMatches(code: number, matcher = '200'): boolean {
  return matcher.split(',').some((part) => {
    const [a, b] = part.trim().split('-').map(Number)
    return b === undefined ? code === a : code >= a! && code <= b
  })
}

function probe(url: string): Promise<number> {
  const lib = url.startsWith('https:') ? https : http
  return new Promise((resolve) => {
    const req = lib.get(url, {agent: false, timeout: 5000, rejectUnauthorized: false}, (res) => {
      res.resume()
      resolve(res.statusCode ?? 0)
    })
    req.on('timeout', () => req.destroy(new Error('timed out')))
    req.on('error', () => resolve(0))
  })
}

/** Wait until the target passes the target group's health check; an error text when it did not in time. */
export async function checkTarget(address: string, tg: TargetGroupSpec, signal?: AbortSignal, timeoutMs = CHECK_TIMEOUT_MS): Promise<string | undefined> {
  const hc = tg.healthCheck ?? {}
  const port = typeof hc.port === 'number' ? hc.port : tg.port
  const protocol = hc.protocol ?? (tg.protocol === 'HTTPS' ? 'HTTPS' : tg.protocol && tg.protocol !== 'HTTP' ? 'TCP' : 'HTTP')
  const url = `${protocol.toLowerCase()}://${address}:${port}${hc.path ?? '/'}`
  const until = Date.now() + timeoutMs
  let last = ''
  for (let i = 0; i < 100_000 && Date.now() < until; i++) {
    if (signal?.aborted) return 'interrupted'
    if (protocol === 'TCP') {
      if (await answers(address, port)) return undefined
      last = 'no connection'
    } else {
      const code = await probe(url)
      if (codeMatches(code, hc.matcher)) return undefined
      last = code ? `HTTP ${code}` : 'no answer'
    }
    await new Promise((r) => setTimeout(r, 250))
  }
  return `${protocol === 'TCP' ? `${address}:${port}` : url} did not pass the health check within ${Math.round(timeoutMs / 1000)} s (last: ${last})`
}

/** The traffic control of target group `targetGroup`, made by local load balancer `name`. */
export function localTraffic(s: ResourceScope, name: string, targetGroup: string): TrafficControl {
  const spec = planLbs(s)[name]!
  const tg = spec.targetGroups[targetGroup]!
  const flip = async (h: Host, out: boolean): Promise<string | undefined> => {
    const host = await runningLbHost(s, name)
    // no load balancer running: no request reaches the host (env down removes it before the hosts are drained)
    if (!host) return out ? undefined : `load balancer ${name} is not running (env up makes it)`
    const entry = `${targetGroup} ${h.address}:${tg.port}`
    try {
      await updateLb(s, name, spec, host, undefined, {change: (down) => (out ? down.add(entry) : down.delete(entry)), waitOld: out})
      return undefined
    } catch (e) {
      return `${out ? 'taking' : 'putting'} ${h.name} ${out ? 'out of' : 'back in'} target group ${targetGroup}: ${(e as Error).message}`
    }
  }
  return {
    describe: `target group ${targetGroup} (load balancer ${name}: nginx on a sandbox host)`,
    block: (h) => flip(h, true),
    async allow(h, signal) {
      const bad = await checkTarget(h.address, tg, signal)
      return bad ? `${h.name} not put back in target group ${targetGroup}: ${bad}` : flip(h, false)
    },
  }
}
