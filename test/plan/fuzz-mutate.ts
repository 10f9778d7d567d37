/** Seeded mutations of YAML/INI texts for the fuzz test: delete, duplicate, retype, truncate, tags, anchors,
 * aliases, control characters, huge numbers, deep nesting. Pure and deterministic for a seed. */

/** mulberry32: a small seeded PRNG (same seed, same cases). */
export function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const VALUES = [
  '[1, 2]', '{a: 1}', '-5', '0', '99999999999999999999999', '1e400', '-1e400', '.inf', '.nan', 'null', '~', "''", '""',
  '!!binary aGVsbG8=', '!!set {a, b}', '!!omap [{a: 1}]', '!!timestamp 2001-12-14', '2001-12-14', '!!int x', '!!float 1', '!!str 5',
  '*nope', '&anc value', '!custom x', '"\\u0001"', '"\\t\\n"', '0x1F', '0o17', '017', 'yes', 'No', 'true', '__proto__',
  '"${env:DOPS_FUZZ_UNSET}"', '"${file:/dev/zero}"', '"${file:/nonexistent}"', '"${env:}"', '"a:0"', '"h:99999"', '"h:abc"',
  '600h', '99999999h', '"[0:9999]-[0:9999]"', "'h[0:99999999]'", '"/srv/../etc"', '|\n  multi\n  line', '? complex\n: key',
]
const CONTROL = ['\u0000', '\u0001', '\t', '\u001b', '\u007f', '\r', '\u2028', '\ufeff']

export type Mutation = (text: string, r: () => number) => string

const pick = <T>(xs: readonly T[], r: () => number): T => xs[Math.floor(r() * xs.length)]!
const lines = (t: string) => t.split('\n')
const atLine = (t: string, r: () => number, f: (line: string, all: string[], i: number) => string[]): string => {
  const ls = lines(t)
  const i = Math.floor(r() * ls.length)
  ls.splice(i, 1, ...f(ls[i]!, ls, i))
  return ls.join('\n')
}

export const MUTATIONS: Record<string, Mutation> = {
  deleteLine: (t, r) => atLine(t, r, () => []),
  duplicateLine: (t, r) => atLine(t, r, (l) => [l, l]),
  retype: (t, r) =>
    atLine(t, r, (l) => {
      const m = /^(\s*(?:- )?[^:#\s][^:#]*:)\s*(.*)$/.exec(l)
      return [m ? `${m[1]} ${pick(VALUES, r)}` : `${l} ${pick(VALUES, r)}`]
    }),
  renameKey: (t, r) => atLine(t, r, (l) => [l.replace(/^(\s*(?:- )?)[A-Za-z_][\w-]*:/, `$1${pick(['__proto__', 'constructor', 'toString', 'hasOwnProperty', '<<', 'Version', 'hosts', 'children'], r)}:`)]),
  truncate: (t, r) => t.slice(0, Math.floor(r() * t.length)),
  tag: (t, r) => atLine(t, r, (l) => [l.replace(/:\s+/, `: ${pick(['!!binary ', '!!map ', '!!seq ', '!!set ', '!foo ', '!!null ', '!!str ', '!<tag:x> '], r)}`)]),
  anchorAlias: (t, r) =>
    atLine(t, r, (l) => {
      const n = pick(['a', 'b', 'x'], r)
      return [r() < 0.5 ? l.replace(/:\s+/, `: &${n} `) : l.replace(/:\s+\S.*$/, `: *${n}`)]
    }),
  control: (t, r) => {
    const i = Math.floor(r() * (t.length + 1))
    return t.slice(0, i) + pick(CONTROL, r) + t.slice(i)
  },
  hugeNumber: (t, r) => t.replace(/\b\d+\b/, pick(['9'.repeat(400), '1e999', '-0', '18446744073709551616', '0.0000000000000000001'], r)),
  deepNesting: (t, r) => {
    const n = 50 + Math.floor(r() * 3000)
    const deep = r() < 0.5 ? '['.repeat(n) + ']'.repeat(n) : '{a: '.repeat(n) + '1' + '}'.repeat(n)
    return atLine(t, r, (l) => [l.replace(/:\s.*$/, `: ${deep}`)])
  },
  indent: (t, r) => atLine(t, r, (l) => [r() < 0.5 ? ' ' + l : l.replace(/^ /, '')]),
  aliasBomb: (t) => t + '\nbomb_a: &ba [x, x, x, x, x, x, x, x, x]\nbomb_b: &bb [*ba, *ba, *ba, *ba, *ba, *ba, *ba, *ba, *ba]\nbomb_c: &bc [*bb, *bb, *bb, *bb, *bb, *bb, *bb, *bb, *bb]\nbomb_d: &bd [*bc, *bc, *bc, *bc, *bc, *bc, *bc, *bc, *bc]\nbomb_e: [*bd, *bd, *bd, *bd, *bd, *bd, *bd, *bd, *bd]\n',
  iniNoise: (t, r) => atLine(t, r, (l) => [pick(['[g:children]', '[all:children]\nall', '[x:bogus]', 'h[9:1]', 'h[0:9999]-[0:9999]', `${l} ansible_port=0`, `${l} ansible_port=abc`, 'h:99999', 'k="unterminated', '[g', 'h[a:9]'], r)]),
}

/** 1 to 3 mutations, by name (for the report) and the mutated text. */
export function mutate(text: string, r: () => number, names = Object.keys(MUTATIONS)): {applied: string[]; text: string} {
  const applied: string[] = []
  let out = text
  const k = 1 + Math.floor(r() * 3)
  for (let i = 0; i < k; i++) {
    const name = pick(names, r)
    applied.push(name)
    out = MUTATIONS[name]!(out, r)
  }
  return {applied, text: out}
}
