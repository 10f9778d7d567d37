/** The driver reports progress with marker lines on stdout: `::dops:: <kind> <fields...>`. */
export const MARKER = '::dops::'

export type Marker =
  | {kind: 'previous'; revision: string}
  | {kind: 'event-start'; event: string; from: 'current' | 'previous'}
  | {kind: 'event-end'; event: string; rc: number}
  | {kind: 'event-skip'; event: string; reason: string}
  | {kind: 'script-start'; event: string; location: string}
  | {kind: 'script-end'; event: string; location: string; rc: number; ms: number}
  | {kind: 'conflict'; path: string}
  | {kind: 'ignored'; event: string; rc: number}
  | {kind: 'installed'; files: number}

export function parseMarker(line: string): Marker | undefined {
  const i = line.indexOf(MARKER + ' ')
  if (i < 0) return undefined
  const [kind, ...f] = line.slice(i + MARKER.length + 1).trim().split(' ')
  switch (kind) {
    case 'previous':
      return f[0] ? {kind, revision: f[0]} : undefined
    case 'event-start':
      return {kind, event: f[0]!, from: f[1] === 'previous' ? 'previous' : 'current'}
    case 'event-end':
      return {kind, event: f[0]!, rc: Number(f[1])}
    case 'event-skip':
      return {kind, event: f[0]!, reason: f.slice(1).join(' ')}
    case 'script-start':
      return {kind, event: f[0]!, location: f.slice(1).join(' ')}
    case 'script-end':
      return {kind, event: f[0]!, rc: Number(f[1]), ms: Number(f[2]), location: f.slice(3).join(' ')}
    case 'conflict':
      return {kind, path: f.join(' ')}
    case 'ignored':
      return {kind, event: f[0]!, rc: Number(f[1])}
    case 'installed':
      return {kind, files: Number(f[0])}
    default:
      return undefined
  }
}
