/**
 * YAML documents with positions: parse a file keeping a LineCounter, and find the line and column of any field path.
 */
import {LineCounter, parseDocument, isAlias, isMap, isSeq, isPair, isScalar, type Document, type Node, type SchemaOptions, type Pair, type YAMLMap} from 'yaml'
import type {Problem} from '../errors.js'
import {documentData, structureProblems} from './yaml-checks.js'

export interface YamlSource {
  file: string
  doc: Document
  lineCounter: LineCounter
  /** the parsed text (after a BOM, if any, was removed) */
  text: string
}

export type PathSegment = string | number

export function parseYamlSource(file: string, text: string, opts: {version?: '1.1' | '1.2'; customTags?: SchemaOptions['customTags']} = {}): {source: YamlSource; problems: Problem[]} {
  const lineCounter = new LineCounter()
  const problems: Problem[] = []
  if (text.charCodeAt(0) === 0xfeff) {
    problems.push({file, line: 1, column: 1, severity: 'warning', message: 'file starts with a byte order mark (BOM); it was ignored'})
    text = text.slice(1)
  }
  const doc = parseDocument(text, {lineCounter, prettyErrors: true, uniqueKeys: false, merge: true, version: opts.version ?? '1.2', ...(opts.customTags ? {customTags: opts.customTags} : {})})
  for (const e of doc.errors) {
    const [line, column] = e.linePos?.[0] ? [e.linePos[0].line, e.linePos[0].col] : [undefined, undefined]
    const first = (e.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '')
    // the parser recurses per level: a stack overflow means nesting hundreds of levels deep
    const message = /Maximum call stack size exceeded/.test(first) ? 'YAML nested too deeply (hundreds of levels of lists or mappings)' : `YAML syntax: ${first}`
    problems.push({file, line, column, message})
  }
  for (const w of doc.warnings) {
    const pos = w.linePos?.[0]
    problems.push({file, line: pos?.line, column: pos?.col, severity: 'warning', message: w.message.split('\n')[0] ?? w.message})
  }
  // duplicate keys are found by structureProblems in linear time (yaml's own check is quadratic)
  problems.push(...structureProblems(file, doc, lineCounter))
  return {source: {file, doc, lineCounter, text}, problems}
}

/** The document as data; an alias bomb becomes a located problem. */
export function sourceData(source: YamlSource): {data?: unknown; problem?: Problem} {
  return documentData(source.file, source.doc, source.lineCounter)
}

/** The node at a path, and (when `key` is set) the key node of the last segment instead of its value. */
function nodeAt(doc: Document, path: PathSegment[], key = false): Node | undefined {
  let node: unknown = doc.contents
  let last: Node | undefined = isNodeLike(node) ? (node as Node) : undefined
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]
    if (isMap(node)) {
      const pair = findPair(doc, node, String(seg))
      if (!pair) return last
      if (key && i === path.length - 1 && isNodeLike(pair.key)) return pair.key as Node
      node = pair.value
    } else if (isSeq(node) && typeof seg === 'number') {
      node = node.items[seg]
    } else if (isSeq(node) && typeof seg === 'string' && /^\d+$/.test(seg)) {
      node = node.items[Number(seg)]
    } else {
      return last
    }
    if (isNodeLike(node)) last = node as Node
    else return last
  }
  return last
}

/** A key's pair in a map, looking through merge keys (`<<: *anchor`) to where the value was written. */
function findPair(doc: Document, map: YAMLMap, key: string, depth = 0): Pair | undefined {
  const own = map.items.find((p) => isPair(p) && String(isScalar(p.key) ? p.key.value : p.key) === key)
  if (own || depth > 10) return own as Pair | undefined
  for (const p of map.items) {
    if (!isPair(p) || !isScalar(p.key) || !(p.key.value === '<<' || (typeof p.key.value === 'symbol' && p.key.value.description === '<<'))) continue
    const sources = isSeq(p.value) ? p.value.items : [p.value]
    for (const src of sources) {
      const target = isAlias(src) ? src.resolve(doc) : src
      if (isMap(target)) {
        const found = findPair(doc, target, key, depth + 1)
        if (found) return found
      }
    }
  }
  return undefined
}

function isNodeLike(x: unknown): boolean {
  return typeof x === 'object' && x !== null && 'range' in x
}

export function locate(source: YamlSource, path: PathSegment[], key = false): {line?: number; column?: number} {
  const node = nodeAt(source.doc, path, key)
  const offset = node?.range?.[0]
  if (offset === undefined) return {}
  const pos = source.lineCounter.linePos(offset)
  return {line: pos.line, column: pos.col}
}

/** `environments.prod.groups.web.hosts[2]` */
export function formatPath(path: PathSegment[]): string {
  let out = ''
  for (const seg of path) {
    if (typeof seg === 'number' || /^\d+$/.test(seg)) out += `[${seg}]`
    else out += out ? `.${seg}` : seg
  }
  return out
}

/** Ajv's instancePath (`/a/b/0`) as segments. */
export function pointerToPath(pointer: string): PathSegment[] {
  if (!pointer) return []
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s))
}

/** The text of the node at a path exactly as written in the file (e.g. to tell `0644` from `'0644'`). */
export function sourceText(source: YamlSource, path: PathSegment[]): string | undefined {
  const node = source.doc.getIn(path, true) as Node | undefined
  const r = node && typeof node === 'object' ? node.range : undefined
  return r ? source.text.slice(r[0], r[1]) : undefined
}
