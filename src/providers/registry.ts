/** Providers by name: `static` (no instances: hosts come from the plan), `local`, and any registered plugin. */
import {awsProvider} from './aws/provider.js'
import {localProvider} from './local/provider.js'
import type {Provider} from './types.js'

const registry = new Map<string, Provider>([
  ['local', localProvider],
  ['aws', awsProvider],
])

export function registerProvider(p: Provider): void {
  registry.set(p.type, p)
}

export function getProvider(type: string): Provider | undefined {
  return registry.get(type)
}

export function providerTypes(): string[] {
  return ['static', ...registry.keys()]
}
