/** Groups in dependency order: a group comes after every group it depends on (cycles are refused by validation). */
export function dependencyOrder(groups: Record<string, {dependsOn?: string[]}>): string[] {
  const out: string[] = []
  const seen = new Set<string>()
  const visit = (g: string, stack: string[]) => {
    if (seen.has(g) || !(g in groups)) return
    if (stack.includes(g)) throw new Error(`dependency cycle: ${[...stack, g].join(' -> ')}`)
    for (const d of groups[g]!.dependsOn ?? []) visit(d, [...stack, g])
    seen.add(g)
    out.push(g)
  }
  for (const g of Object.keys(groups)) visit(g, [])
  return out
}
