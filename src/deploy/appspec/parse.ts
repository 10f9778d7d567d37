/**
 * Parse and validate an appspec.yml (server platform) with positions. Accepts what the CodeDeploy agent accepts
 * (YAML 1.1 typing, as Ruby's Psych); where the agent's behaviour is a footgun, strict mode says so with an error
 * and compat mode with a warning, and dops does what the file meant.
 */
import {visit} from 'yaml'
import type {Problem} from '../../errors.js'
import {closest} from '../../plan/suggest.js'
import {formatPath, locate, parseYamlSource, sourceData, sourceText, type PathSegment, type YamlSource} from '../../plan/yaml-source.js'
import {parseHooks} from './hooks.js'
import {absoluteDestination, bundleRelative, controlCharIn, showPath} from './paths.js'
import {parsePermissions, type SectionContext} from './permissions.js'
import type {Appspec, AppspecMode, FileExistsBehavior, FileMapping} from './types.js'

export const APPSPEC_NAMES = ['appspec.yml', 'appspec.yaml']
const TOP_KEYS = ['version', 'os', 'files', 'permissions', 'hooks', 'file_exists_behavior']
const FEB: FileExistsBehavior[] = ['DISALLOW', 'OVERWRITE', 'RETAIN']
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

export interface AppspecResult {
  appspec?: Appspec
  /** the parsed document, to locate later findings (e.g. against the revision's contents) */
  source?: YamlSource
  /** errors and warnings (severity 'warning'), in file order */
  problems: Problem[]
}

export function parseAppspec(file: string, text: string, mode: AppspecMode = 'strict'): AppspecResult {
  const {source, problems} = parseYamlSource(file, text, {version: '1.1'})
  const errorsSoFar = () => problems.some((p) => p.severity !== 'warning')
  if (errorsSoFar()) return {problems}
  const push = (severity: 'error' | 'warning', path: PathSegment[], message: string, onKey = false) =>
    problems.push({file, line: 1, column: 1, ...locate(source, path, onKey), path: formatPath(path) || undefined, message, severity})
  const cx: SectionContext = {
    err: (p, m, k) => push('error', p, m, k),
    warn: (p, m, k) => push('warning', p, m, k),
    footgun: (p, m, k) => push(mode === 'strict' ? 'error' : 'warning', p, m, k),
    strict: mode === 'strict',
    raw: (p) => sourceText(source, p),
  }
  let aliases = false
  visit(source.doc, {Alias: () => void (aliases = true)})
  if (aliases) cx.footgun([], 'YAML aliases (*name) are rejected by the agent on Ruby 3.1 and later; write the values out')
  const {data, problem} = sourceData(source)
  if (problem) return {problems: [...problems, problem]}
  if (data === null || data === undefined || (typeof data === 'string' && !data.trim())) {
    cx.err([], "the application specification file was empty; it needs at least the 'version' and 'os' properties")
    return {problems}
  }
  if (!isObj(data)) {
    cx.err([], 'an appspec must be a mapping with version, os, files, permissions and hooks')
    return {problems}
  }
  for (const k of Object.keys(data)) {
    if (TOP_KEYS.includes(k)) continue
    const guess = closest(k, TOP_KEYS)
    const msg = `unknown key \`${k}\` is ignored by the agent${guess ? `; did you mean \`${guess}\`?` : ''}`
    if (guess) cx.footgun([k], msg, true)
    else cx.warn([k], msg, true)
  }

  if (!('version' in data) || data.version === null) cx.err([], "an appspec needs `version: 0.0`")
  else if (typeof data.version === 'string') cx.err(['version'], `version must be the number 0.0, not the string "${data.version}": the CodeDeploy agent rejects a quoted version; write version: 0.0`)
  else if (data.version !== 0) cx.err(['version'], `an invalid version value (${String(data.version)}) was entered; specify 0.0 as the version`)

  if (data.os === 'windows') cx.err(['os'], 'os: windows is not supported: dops deploys to Linux hosts over SSH')
  else if (data.os !== 'linux') {
    const hint = typeof data.os === 'string' && data.os.toLowerCase() === 'linux' ? '; os is case-sensitive: write linux' : ''
    cx.err(data.os === undefined ? [] : ['os'], `the application specification file specifies an unsupported operating system (${data.os === undefined ? '' : String(data.os)}); specify "linux"${hint}`)
  }

  const files = parseFiles(data.files, cx)
  const permissions = parsePermissions(data.permissions, cx)
  const hooks = parseHooks(data.hooks, cx)
  let fileExistsBehavior: FileExistsBehavior | undefined
  if (data.file_exists_behavior !== undefined && data.file_exists_behavior !== null) {
    const v = String(data.file_exists_behavior)
    if (FEB.includes(v as FileExistsBehavior)) fileExistsBehavior = v as FileExistsBehavior
    else cx.err(['file_exists_behavior'], `an invalid file_exists_behavior value (${v}) was entered; use one of DISALLOW, OVERWRITE, RETAIN${FEB.includes(v.toUpperCase() as FileExistsBehavior) ? ` (case-sensitive: ${v.toUpperCase()})` : ''}`)
  }
  problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0))
  if (errorsSoFar()) return {problems}
  return {appspec: {version: 0, os: 'linux', files, permissions, hooks, fileExistsBehavior}, problems, source}
}

function parseFiles(value: unknown, cx: SectionContext): FileMapping[] {
  if (value === null || value === undefined) return []
  if (!Array.isArray(value)) {
    cx.err(['files'], 'files must be a list of {source, destination} (- source: /\\n  destination: /var/www/html)')
    return []
  }
  const out: FileMapping[] = []
  value.forEach((item: unknown, i) => {
    const at = (...rest: PathSegment[]) => ['files', i, ...rest]
    if (!isObj(item)) return cx.err(at(), 'each entry of files must be a mapping with source and destination')
    for (const k of Object.keys(item)) if (k !== 'source' && k !== 'destination') cx.warn(at(k), `unknown key \`${k}\` in files is ignored (keys: source, destination)`, true)
    const src = item.source === undefined || item.source === null ? '' : String(item.source)
    const dst = item.destination === undefined || item.destination === null ? '' : String(item.destination)
    if (!src.trim()) return cx.err(at(), 'the application specification file specifies a destination file, but no source file')
    if (!dst.trim()) return cx.err(at(), `the application specification file specifies only a source file (${showPath(src)}); add its destination`)
    for (const [key, v] of [['source', src], ['destination', dst]] as const) {
      const ctl = controlCharIn(v)
      if (ctl) return cx.err(at(key), `${key} \`${showPath(v)}\` contains ${ctl}; paths may not contain control characters`)
    }
    const source = bundleRelative(src)
    if (source === undefined) return cx.err(at('source'), `source \`${src}\` escapes the revision; it must be a path inside the bundle`)
    let destination = absoluteDestination(dst)
    if (destination === undefined) {
      cx.footgun(at('destination'), `destination \`${dst}\` is not an absolute path; the agent would resolve it against its own working directory (/); write /${dst.replace(/^\.?\/*/, '')}`)
      destination = absoluteDestination('/' + dst)
    }
    // `/srv/../etc` is /etc: legal for the agent (the OS resolves it), but almost never what was meant
    if (dst.split('/').includes('..')) cx.footgun(at('destination'), `destination \`${dst}\` contains \`..\`: it is ${destination}; write ${destination}`)
    out.push({source, destination: destination!})
  })
  return out
}
