/** Provider type names the plan may use: the built-in ones and those registered by plugins (no provider code here). */
export const BUILTIN_PROVIDER_TYPES = ['static', 'local', 'aws']
const registered = new Set<string>()

export function addProviderType(type: string): void {
  registered.add(type)
}

export function knownProviderTypes(): string[] {
  return [...new Set([...BUILTIN_PROVIDER_TYPES, ...registered])]
}
