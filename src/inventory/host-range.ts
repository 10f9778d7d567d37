/** Ansible host patterns with ranges: `web[01:20].example.com`, `db-[a:c]`, `node[0:10:2]`. */
const RANGE = /\[([^\]:]+):([^\]:]+)(?::(\d+))?\]/

export function expandHostRange(pattern: string): string[] {
  const m = RANGE.exec(pattern)
  if (!m) return [pattern]
  const [whole, startRaw, endRaw, stepRaw] = m as unknown as [string, string, string, string | undefined]
  const before = pattern.slice(0, m.index)
  const after = pattern.slice(m.index + whole.length)
  const step = stepRaw ? Number(stepRaw) : 1
  if (!(step > 0)) throw new Error(`invalid step in host range ${whole}`)
  const values: string[] = []
  if (/^\d+$/.test(startRaw) && /^\d+$/.test(endRaw)) {
    const width = startRaw.length > 1 && startRaw.startsWith('0') ? startRaw.length : 0
    const start = Number(startRaw)
    const end = Number(endRaw)
    if (end < start) throw new Error(`host range ${whole} ends before it starts`)
    if ((end - start) / step > 10_000) throw new Error(`host range ${whole} has more than 10000 hosts`)
    for (let i = start; i <= end; i += step) values.push(String(i).padStart(width, '0'))
  } else if (/^[a-zA-Z]$/.test(startRaw) && /^[a-zA-Z]$/.test(endRaw)) {
    const start = startRaw.charCodeAt(0)
    const end = endRaw.charCodeAt(0)
    if (end < start) throw new Error(`host range ${whole} ends before it starts`)
    for (let i = start; i <= end; i += step) values.push(String.fromCharCode(i))
  } else {
    throw new Error(`invalid host range ${whole}: expected [START:END] of numbers or single letters`)
  }
  return values.flatMap((v) => expandHostRange(before + v + after))
}
