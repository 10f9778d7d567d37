/** Replace secret values (from ${env:..} and ${file:..}) with `***` wherever they would be printed or stored. */
export function makeRedactor(secrets: string[]): (s: string) => string {
  const list = [...new Set(secrets.filter((s) => s.length >= 4))].sort((a, b) => b.length - a.length)
  if (!list.length) return (s) => s
  return (s) => {
    let out = s
    for (const secret of list) if (out.includes(secret)) out = out.split(secret).join('***')
    return out
  }
}
