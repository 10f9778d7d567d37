/**
 * Where `dops serve` listens: `HOST:PORT` (`[v6]:PORT` for IPv6; port 0 picks a free one), 127.0.0.1:8080 by
 * default. Tokens cross the network in every request, so a non-loopback address is refused without TLS unless the
 * user says `--insecure-http` (a TLS proxy in front, a private network).
 */
import {isIP} from 'node:net'
import {InvalidInputError} from '../errors.js'
import {readRegularFile} from '../util/read-regular.js'

export const DEFAULT_LISTEN = '127.0.0.1:8080'

export interface ListenAddress {
  host: string
  port: number
}

export function parseListen(text: string): ListenAddress {
  const m = /^\[([0-9a-fA-F:.]+)\]:(\d{1,5})$/.exec(text) ?? /^([^:[\]\s]+):(\d{1,5})$/.exec(text)
  if (!m) throw new InvalidInputError(`--listen \`${text}\`: expected HOST:PORT (an IPv6 address in brackets: [::1]:8080)`)
  const port = Number(m[2])
  if (port > 65535) throw new InvalidInputError(`--listen \`${text}\`: the port must be 0-65535`)
  const host = m[1]!
  if (text.startsWith('[') && isIP(host) !== 6) throw new InvalidInputError(`--listen \`${text}\`: \`${host}\` is not an IPv6 address`)
  return {host, port}
}

/** Loopback: 127.0.0.0/8, ::1 (and 127.x.x.x mapped into IPv6), `localhost`. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase()
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h
  return isIP(v4) === 4 && v4.startsWith('127.')
}

/** Refuse to serve tokens in clear text beyond this machine. */
export function checkBind(addr: ListenAddress, o: {tls: boolean; insecureHttp: boolean}): void {
  if (o.tls || o.insecureHttp || isLoopback(addr.host)) return
  throw new InvalidInputError(
    `refusing to listen on ${formatHost(addr.host)}:${addr.port} without TLS: bearer tokens would cross the network in clear text. Give --tls-cert and --tls-key, or --insecure-http when a TLS proxy or a private network is in front`,
  )
}

export function formatHost(host: string): string {
  return isIP(host) === 6 ? `[${host}]` : host
}

/** The certificate and key (PEM), both or neither. */
export function readTls(cert: string | undefined, key: string | undefined): {cert: string; key: string} | undefined {
  if (!cert && !key) return undefined
  if (!cert || !key) throw new InvalidInputError('TLS needs both --tls-cert and --tls-key')
  const read = (file: string, flag: string) => {
    try {
      const text = readRegularFile(file, 1024 * 1024)
      if (!/-----BEGIN [A-Z ]+-----/.test(text)) throw Object.assign(new Error(''), {code: 'not a PEM file'})
      return text
    } catch (e) {
      throw new InvalidInputError(`${flag} ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`)
    }
  }
  return {cert: read(cert, '--tls-cert'), key: read(key, '--tls-key')}
}
