/** Provider steps: destroy, create and settings updates of a group's hosts. */
import {DopsError, ExitCode} from '../../errors.js'
import {PartialCreateError} from '../../providers/types.js'
import type {InstanceState} from '../../state/local-file.js'
import {step, type EnvContext} from '../context.js'
import {providerFor} from '../observe.js'

export async function destroyHosts(e: EnvContext, group: string, hosts: InstanceState[], providerName: string, why = ''): Promise<void> {
  const end = step(e.p, 'provision', `${group}: destroying ${hosts.length} host(s) (${providerName}${why}): ${hosts.map((h) => h.name).join(', ')}`)
  await providerFor(e, group).destroy(e.ctx(group), hosts)
  end('destroyed')
}

/**
 * Create `count` hosts (not ready until prepared). Some made before a failure are passed to `keepMade`, so they are
 * recorded and the next run does not make them again; the failure is then thrown.
 */
export async function createHosts(e: EnvContext, group: string, count: number, existing: InstanceState[], providerName: string, keepMade: (made: InstanceState[]) => Promise<void>, why = ''): Promise<InstanceState[]> {
  const end = step(e.p, 'provision', `${group}: creating ${count} host(s) (${providerName})${why}`)
  const made = await providerFor(e, group)
    .create(e.ctx(group), count, existing)
    .catch(async (err: unknown) => {
      end((err as Error).message, false)
      if (err instanceof PartialCreateError) await keepMade(err.created.map((c) => ({...c, ready: false})))
      throw err
    })
  end(made.map((m) => `${m.name} ${m.address}`).join(', '))
  // a host is `ready` once it answered SSH and its bootstrap succeeded: one that is not is prepared again
  for (const m of made) m.ready = false
  return made
}

/** Start stopped hosts; returns them as they are now (an address may have changed), ready as they were. */
export async function startHosts(e: EnvContext, group: string, hosts: InstanceState[], providerName: string): Promise<InstanceState[]> {
  const provider = providerFor(e, group)
  if (!provider.start) throw new DopsError('PROVIDER_NO_START', `group ${group}: provider ${providerName} reported stopped hosts (${hosts.map((h) => h.name).join(', ')}) but cannot start them`, {exitCode: ExitCode.SOME_FAILED})
  const end = step(e.p, 'provision', `${group}: starting ${hosts.length} stopped host(s) (${providerName})`)
  const started = await provider.start(e.ctx(group), hosts).catch((err: unknown) => {
    end((err as Error).message, false)
    throw err
  })
  end(started.map((m) => `${m.name} ${m.address}`).join(', '))
  return started.map((m) => ({...m, ready: hosts.find((h) => h.id === m.id)?.ready ?? m.ready}))
}

/** Settings besides hosts (firewall rules) brought to the plan; returns what was changed. */
export async function updateSettings(e: EnvContext, group: string): Promise<string[]> {
  const provider = providerFor(e, group)
  const updates = (await provider.reconcile?.(e.ctx(group))) ?? []
  if (updates.length) step(e.p, 'provision', `${group}: ${updates.join('; ')}`)('applied')
  return updates
}
