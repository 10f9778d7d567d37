/** `ansible_port` / `ansible_ssh_port` values: a port 1-65535 (Ansible takes an integer or a string of digits). */

export const PORT_VARS = ['ansible_port', 'ansible_ssh_port']

/** The problem with a connection port variable, or undefined (also for any other variable). */
export function portVarProblem(key: string, value: unknown): string | undefined {
  if (!PORT_VARS.includes(key) || value === undefined || value === null) return undefined
  if (typeof value !== 'number' && typeof value !== 'string') return `${key} must be a port number (1-65535)`
  // a template is checked once resolved, for each host (ansible-connection.ts)
  if (typeof value === 'string' && value.includes('{{')) return undefined
  const problem = portProblem(String(value).trim())
  return problem ? `${key}: ${problem}` : undefined
}

/** A TCP port as written after `host:`: digits only, 1-65535. Undefined when valid. */
export function portProblem(text: string): string | undefined {
  if (!/^\d+$/.test(text)) return `port \`${text}\` is not a number; a port is 1-65535`
  const n = Number(text)
  if (n < 1 || n > 65535) return `port ${text} is out of range; a port is 1-65535`
  return undefined
}

/** The port of a string host entry (`user@host:PORT`, `[v6]:PORT`), or undefined when it has none. */
export function hostEntryPort(entry: string): string | undefined {
  const rest = entry.slice(entry.lastIndexOf('@') + 1)
  const bracket = /^\[[^\]]*\](?::(.*))?$/.exec(rest)
  if (bracket) return bracket[1]
  const colons = rest.split(':').length - 1
  return colons === 1 ? rest.slice(rest.indexOf(':') + 1) : undefined
}
