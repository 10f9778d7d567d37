/**
 * A host pattern with an optional port, split as Ansible's parse_address does for inventory hosts (INI and YAML):
 * `[2001:db8::2]:2222`, `w3:2200`, `db-[a:b]:2022` (a range is not a port). A pattern Ansible cannot read as an
 * address is a host name without a port, as in Ansible.
 */
const BRACKETED = /^\[(.+)\]:([0-9]+)$/
const HOSTPORT = /^((?:[^:[\]]|\[[^\]]*\])*):([0-9]+)$/
/** an IPv6 literal (ranges of hex digits allowed, as Ansible's ipv6 pattern does) */
const IPV6 = /^(?:[0-9a-fA-F]{0,4}|\[[0-9a-fA-F]+:[0-9a-fA-F]+\])(?::(?:[0-9a-fA-F]{0,4}|\[[0-9a-fA-F]+:[0-9a-fA-F]+\])){2,7}(?:%\w+)?$|^::ffff:[\d.]+$/

export function splitHostPort(pattern: string): {pattern: string; port?: string} {
  let host = pattern
  let port: string | undefined
  for (const re of [BRACKETED, HOSTPORT]) {
    const m = re.exec(host)
    if (m) {
      host = m[1]!
      port = m[2]!
    }
  }
  // what is left must be an IPv4/IPv6 address or a host name (colons only inside ranges or in IPv6)
  const outside = host.replace(/\[[^\]]*\]/g, '')
  if (outside.includes(':') && !IPV6.test(host)) return {pattern}
  return port === undefined ? {pattern: host} : {pattern: host, port}
}
