/** Providers by name: `static` (no instances: hosts come from the plan), `local`, and any registered plugin. */
import {awsProvider} from './aws/provider.js'
import {localProvider} from './local/provider.js'
import {addProviderType} from './known-types.js'
import type {Provider} from './types.js'

const registry = new Map<string, Provider>([
  ['local', localProvider],
  ['aws', awsProvider],
])

export function registerProvider(p: Provider): void {
  if (!p || typeof p.type !== 'string' || typeof p.create !== 'function' || typeof p.destroy !== 'function' || typeof p.alive !== 'function') throw new Error('a provider needs `type`, `alive`, `create` and `destroy` (docs/providers.md)')
  registry.set(p.type, p)
  addProviderType(p.type)
}

export function getProvider(type: string): Provider | undefined {
  return registry.get(type)
}

export function providerTypes(): string[] {
  return ['static', ...registry.keys()]
}
