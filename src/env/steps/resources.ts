/**
 * The environment-level resources (load balancers, DNS) as env commands use them: the scope they work in, their
 * drift for `env plan`, the `resources` step of `env up`, `follow` after each state write, and `env down`'s
 * teardown and final check. Which kinds exist is the registry's (`envResources`, src/env/resources-list.ts).
 */
import {DopsError, ExitCode} from '../../errors.js'
import type {Reporter} from '../../events.js'
import type {LoadedPlan} from '../../plan/types.js'
import type {EnvState, StateBackend} from '../../state/local-file.js'
import type {TransportSettings} from '../../transport/factory.js'
import type {EnvResource, ResourceScope} from '../resources.js'
import {envResources} from '../resources-list.js'

/** A kind may say which plan keys its provider ignores (reported by env plan, never silently dropped). */
type WithIgnored = EnvResource & {ignored?(s: ResourceScope): string[]}

export function resourceScope(loaded: LoadedPlan, envName: string, projectDir: string, connection?: Omit<TransportSettings, 'projectDir' | 'planSsh' | 'onHostKeyLearned'>, reporter?: Reporter, signal?: AbortSignal): ResourceScope {
  return {
    loaded,
    envName,
    projectDir,
    ...(connection ? {connection} : {}),
    ...(reporter ? {reporter} : {}),
    ...(signal ? {signal} : {}),
    provider(name: string) {
      const def = loaded.plan.providers?.[name]
      return {name, type: def?.type ?? name, settings: (def ?? {}) as Record<string, unknown>}
    },
  }
}

const applying = (s: ResourceScope, state: EnvState) => envResources.filter((r) => r.applies(s, state))
/** The kinds the environment has (in its plan or its state), e.g. `loadBalancers`. */
export const applyingKinds = (s: ResourceScope, state: EnvState) => applying(s, state).map((r) => r.key)

/** One kind's planned changes (`+ / ~ / -` lines) and the plan keys its provider ignores. */
export interface ResourceDrift {
  key: string
  lines: string[]
  ignored: string[]
}

/** `env plan` and `env up`'s observation: what each kind would change. */
export async function observeResources(s: ResourceScope, state: EnvState): Promise<ResourceDrift[]> {
  const out: ResourceDrift[] = []
  for (const r of applying(s, state) as WithIgnored[]) out.push({key: r.key, lines: await r.drift(s, state), ignored: r.ignored?.(s) ?? []})
  return out
}

/** States in a `resources` step: their writes (a kind's `save`) do not follow (the step writes and follows after). */
const reconciling = new WeakSet<EnvState>()

/** The `resources` step: each kind brought to the plan, in the registry's order; what changed, by kind. `save`: persist the state now. */
export async function reconcileResources(s: ResourceScope, state: EnvState, save?: () => Promise<void>): Promise<Array<{key: string; lines: string[]}>> {
  const out: Array<{key: string; lines: string[]}> = []
  const scope = save ? {...s, save} : s
  reconciling.add(state)
  try {
    for (const r of applying(scope, state)) out.push({key: r.key, lines: await r.reconcile(scope, state)})
  } finally {
    reconciling.delete(state)
  }
  return out
}

/**
 * Make `store.write` also let each kind follow membership (targets registered and deregistered, A records). A
 * failure is a warning: the hosts were changed and recorded, and the next write tries again. What follow records
 * (DNS records) is written again once all have followed.
 */
export function followResources<T extends StateBackend>(store: T, s: ResourceScope): T {
  const write = store.write.bind(store)
  store.write = async (state: EnvState) => {
    await write(state)
    if (reconciling.has(state)) return
    const before = JSON.stringify(state.resources ?? {})
    const scope = {...s, save: () => write(state)}
    for (const r of applying(scope, state)) {
      if (!r.follow) continue
      const t0 = performance.now()
      try {
        const lines = await r.follow(scope, state)
        for (const text of lines) s.reporter?.({type: 'env.step', phase: 'provision', text: `${r.key}: ${text}`, state: 'end', ok: true, ms: performance.now() - t0})
      } catch (e) {
        s.reporter?.({type: 'warning', message: `${r.key}: members not followed: ${(e as Error).message}; the next env command tries again`})
      }
    }
    if (JSON.stringify(state.resources ?? {}) !== before) await write(state)
  }
  return store
}

/** `env down`: each kind torn down, last first; what was removed, and the failures (env down goes on, then fails). */
export async function teardownResources(s: ResourceScope, state: EnvState): Promise<{kinds: string[]; removed: string[]; failures: DopsError[]}> {
  const removed: string[] = []
  const failures: DopsError[] = []
  const kinds = applying(s, state)
  for (const r of [...kinds].reverse()) {
    try {
      removed.push(...(await r.teardown(s, state)))
    } catch (err) {
      failures.push(err instanceof DopsError ? err : new DopsError('PROVIDER_ERROR', `${r.key}: teardown failed: ${(err as Error).message ?? String(err)}; run env down again`, {exitCode: ExitCode.PROVIDER_FAILED}))
    }
  }
  return {kinds: kinds.map((r) => r.key), removed, failures}
}

/** `env down`'s final check: what the kinds that were torn down still find of the environment (records and tags). */
export async function resourceLeftovers(s: ResourceScope, state: EnvState, kinds: string[]): Promise<string[]> {
  const out: string[] = []
  for (const r of envResources) if (kinds.includes(r.key) && r.leftovers) out.push(...(await r.leftovers(s, state)))
  return out
}
