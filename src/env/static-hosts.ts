/**
 * Static groups (hosts listed in the plan or its inventories) join the environment like created hosts: each host is
 * recorded in the state when it joins, bootstrapped once (again only when the bootstrap changes), announced with
 * hostsJoined, and announced with hostsLeft when the plan no longer lists it. Nothing is ever created, destroyed or
 * run on a static host because it leaves.
 */
import {createHash} from 'node:crypto'
import {readFile} from 'node:fs/promises'
import path from 'node:path'
import type {GroupSpec} from '../plan/types.js'
import type {EnvState, InstanceState, StaticHostState} from '../state/local-file.js'
import {createSshTransport} from '../transport/factory.js'
import {makeRedactor} from '../util/redact.js'
import type {EnvContext} from './context.js'
import type {GroupObservation} from './observe.js'

/**
 * What a host's bootstrap is: each entry's command or script path, arguments and user, and each script's content.
 * Secrets are redacted before hashing, so the state holds nothing derived from them (a new secret value does not
 * bootstrap again). Undefined when the group has no bootstrap.
 */
export async function bootstrapFingerprint(planDir: string, spec: GroupSpec, secrets: string[] = []): Promise<string | undefined> {
  if (!spec.bootstrap?.length) return undefined
  const redact = makeRedactor(secrets)
  const h = createHash('sha256')
  for (const s of spec.bootstrap) {
    h.update(redact(JSON.stringify({run: s.run, script: s.script, args: s.args, runAs: s.runAs})))
    if (s.script) h.update(redact(await readFile(path.resolve(planDir, s.script), 'utf8').catch(() => '\0missing')))
    h.update('\0')
  }
  return `sha256:${h.digest('hex').slice(0, 32)}`
}

export function toInstance(h: StaticHostState): InstanceState {
  return {id: h.name, name: h.name, address: h.address, port: h.port ?? 22, user: '', createdAt: h.joinedAt, ready: h.ready !== false, data: h.bootstrap ? {bootstrap: h.bootstrap} : {}}
}

export function toStatic(i: InstanceState): StaticHostState {
  const bootstrap = typeof i.data.bootstrap === 'string' ? i.data.bootstrap : undefined
  return {name: i.name, address: i.address, ...(i.port !== 22 ? {port: i.port} : {}), joinedAt: i.createdAt, ...(i.ready === false ? {ready: false} : {}), ...(bootstrap ? {bootstrap} : {})}
}

/**
 * A static group as an observation: `live` is every host the plan lists (a recorded one with its record, a new one
 * not ready), `fresh` the hosts that join now, `gone` the recorded hosts the plan no longer lists.
 */
export async function observeStatic(e: EnvContext, state: EnvState, g: string, provider: string): Promise<GroupObservation> {
  const recorded = (state.static?.[g]?.hosts ?? []).filter((h) => h && typeof h.name === 'string')
  const planned = e.t.hosts.filter((h) => h.group === g)
  const now = new Date().toISOString()
  // recorded as SSH reaches it (an ssh_config alias as its HostName): when the host leaves, its hostsLeft names that
  // address even if the plan's ssh_config no longer knows the alias
  const transport = planned.length ? createSshTransport({...e.p.connection, projectDir: e.t.projectDir, planSsh: e.loaded.plan.ssh}) : undefined
  const live = planned.map((h): InstanceState => {
    const r = recorded.find((x) => x.name === h.name)
    const t = transport!.target(h)
    return r ? {...toInstance(r), address: t.address, port: t.port} : {id: h.name, name: h.name, address: t.address, port: t.port, user: '', createdAt: now, ready: false, data: {}}
  })
  await transport?.close()
  const instance = (e.groups[g]!.instance ?? {}) as Record<string, unknown>
  return {
    provider,
    type: 'static',
    live,
    fresh: live.filter((i) => !recorded.some((r) => r.name === i.name)),
    gone: recorded.filter((r) => !planned.some((h) => h.name === r.name)).map(toInstance),
    drift: [],
    ignored: Object.keys(instance).map((k) => `instance.${k}`),
    fingerprint: await bootstrapFingerprint(e.loaded.dir, e.groups[g]!, e.t.secrets),
  }
}
