/** Cycles in a directed graph of names (group dependencies, inventory children). Pure, no imports. */

/** Every elementary cycle found by a depth-first walk (each reported once, starting at its first group). Iterative: any depth. */
export function findCycles(graph: Record<string, string[]>): string[][] {
  const cycles: string[][] = []
  const state = new Map<string, 'active' | 'done'>()
  const next = (n: string) => (Object.hasOwn(graph, n) ? graph[n]! : [])[Symbol.iterator]()
  for (const root of Object.keys(graph)) {
    if (state.has(root)) continue
    const stack: string[] = [root]
    const iters = [next(root)]
    state.set(root, 'active')
    while (stack.length) {
      const step = iters[iters.length - 1]!.next()
      if (step.done) {
        state.set(stack.pop()!, 'done')
        iters.pop()
        continue
      }
      const m = step.value
      if (!Object.hasOwn(graph, m)) continue
      if (state.get(m) === 'active') cycles.push(stack.slice(stack.indexOf(m)))
      else if (!state.has(m)) {
        state.set(m, 'active')
        stack.push(m)
        iters.push(next(m))
      }
    }
  }
  return cycles
}
