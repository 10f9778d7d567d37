/**
 * Checks on a parsed YAML document that the yaml library does not make (or makes too slowly), each a located
 * problem: duplicate keys (in linear time), aliases to undefined anchors, values that are not plain JSON data
 * (`!!binary`, `!!set`, timestamps), `__proto__` keys; and `toJS` that turns an alias bomb into a located problem.
 */
import {isPair, isScalar, visit, type Document, type LineCounter, type Node} from 'yaml'
import type {Problem} from '../errors.js'

/** Alias expansions allowed when a document is turned into data (yaml's default is 100). */
export const MAX_ALIAS_COUNT = 1000

const COLLECTION_TAGS = new Set([undefined, 'tag:yaml.org,2002:map', 'tag:yaml.org,2002:seq'])

export function structureProblems(file: string, doc: Document, lineCounter: LineCounter): Problem[] {
  const problems: Problem[] = []
  const at = (node: unknown, message: string) => {
    const offset = (node as Node | undefined)?.range?.[0]
    const pos = offset === undefined ? {line: 1, col: 1} : lineCounter.linePos(offset)
    problems.push({file, line: pos.line, column: pos.col, message, severity: 'error'})
  }
  const anchors = new Set<string>()
  // visit() walks in document order, so an anchor is seen before any alias that may use it
  visit(doc, {
    Alias(_k, node) {
      if (!anchors.has(node.source)) return void at(node, `YAML alias *${node.source} refers to an anchor &${node.source} that is not defined before it`)
      const target = node.resolve(doc)
      const [start, end] = [target?.range?.[0], target?.range?.[1]]
      if (start !== undefined && end !== undefined && node.range && node.range[0] >= start && node.range[0] < end) at(node, `YAML alias *${node.source} is inside the value it refers to (a recursive structure)`)
    },
    Scalar(_k, node) {
      if (node.anchor) anchors.add(node.anchor)
      const v: unknown = node.value
      if (v === null || ['string', 'number', 'boolean'].includes(typeof v) || typeof v === 'symbol') return // a symbol: the merge key `<<`
      const what = v instanceof Uint8Array ? 'binary data (!!binary)' : v instanceof Date ? 'a timestamp' : `a ${typeof v}`
      at(node, `YAML value of ${what} is not supported here; write a plain string${v instanceof Date ? ' (quote it)' : ''}`)
    },
    Map(_k, node) {
      if (node.anchor) anchors.add(node.anchor)
      if (!COLLECTION_TAGS.has(node.tag)) at(node, `YAML tag ${node.tag?.replace('tag:yaml.org,2002:', '!!')} is not supported here; write a plain mapping`)
      const seen = new Set<string>()
      for (const pair of node.items) {
        if (!isPair(pair) || !isScalar(pair.key)) continue
        const key = pair.key.value
        if (typeof key === 'symbol') continue // the merge key `<<`
        const name = String(key)
        if (name === '__proto__') at(pair.key, 'the key `__proto__` is not allowed')
        if (seen.has(name)) at(pair.key, `duplicate key \`${name}\` (keys of a mapping must be unique)`)
        seen.add(name)
      }
    },
    Seq(_k, node) {
      if (node.anchor) anchors.add(node.anchor)
      if (!COLLECTION_TAGS.has(node.tag)) at(node, `YAML tag ${node.tag?.replace('tag:yaml.org,2002:', '!!')} is not supported here; write a plain list`)
    },
  })
  return problems
}

/** The document as data, or a located problem when expanding its aliases would exceed MAX_ALIAS_COUNT. */
export function documentData(file: string, doc: Document, lineCounter: LineCounter): {data?: unknown; problem?: Problem} {
  try {
    return {data: doc.toJS({maxAliasCount: MAX_ALIAS_COUNT})}
  } catch (e) {
    let first: Node | undefined
    visit(doc, {
      Alias(_k, node) {
        first = node
        return visit.BREAK
      },
    })
    const pos = first?.range ? lineCounter.linePos(first.range[0]) : {line: 1, col: 1}
    const bomb = /alias count/i.test((e as Error).message)
    return {
      problem: {
        file,
        line: pos.line,
        column: pos.col,
        message: bomb ? `YAML aliases expand to too many values (more than ${MAX_ALIAS_COUNT} alias expansions): write the values out` : `cannot read the YAML document: ${(e as Error).message}`,
      },
    }
  }
}
