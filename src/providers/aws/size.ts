/** Sizes: an instance type (`t3.small`), or CPU and memory (`2C4G`) resolved to the smallest type that fits. */
export interface TypeInfo {
  name: string
  vcpus: number
  memoryMiB: number
}

export function parseSize(size: string): {type: string} | {vcpus: number; memoryGiB: number} {
  const m = /^(\d+)C(\d+(?:\.\d+)?)G$/i.exec(size.trim())
  return m ? {vcpus: Number(m[1]), memoryGiB: Number(m[2])} : {type: size.trim()}
}

/** Families in order of price per unit, cheapest first (general purpose burstable, then general purpose). */
const FAMILY_ORDER = ['t3a', 't3', 't2', 'm6a', 'm5a', 'm6i', 'm5', 'c6a', 'c5', 'r6a', 'r5']

/** The cheapest match: fewest vCPUs, then least memory, then the cheaper family. Undefined when none fits. */
export function pickInstanceType(types: TypeInfo[], vcpus: number, memoryGiB: number): TypeInfo | undefined {
  const rank = (n: string) => {
    const i = FAMILY_ORDER.indexOf(n.split('.')[0]!)
    return i < 0 ? FAMILY_ORDER.length : i
  }
  return types
    .filter((t) => t.vcpus >= vcpus && t.memoryMiB >= memoryGiB * 1024)
    .sort((a, b) => a.vcpus - b.vcpus || a.memoryMiB - b.memoryMiB || rank(a.name) - rank(b.name) || a.name.localeCompare(b.name))[0]
}
