/**
 * INI inventory values as Ansible types them: Python's ast.literal_eval (numbers, True/False/None, quoted strings,
 * lists, tuples, dicts, sets), falling back to the text itself when it is not a literal. Bounded nesting.
 */
const MAX_DEPTH = 64

class NotLiteral extends Error {}

/** a number, True, False or None at a position (sticky: no copy of the rest of the text per value) */
const NUMBER = /(?:[-+]\s*)*(?:[0-9.][0-9a-zA-Z_.]*(?:(?<=[0-9_][eE])[-+][0-9_]+)?|True|False|None)(?![\w.])/y

export function pyLiteral(text: string): unknown {
  try {
    const p = new Parser(text)
    const v = p.value(0)
    p.ws()
    if (p.i !== text.length) throw new NotLiteral()
    return v
  } catch (e) {
    if (e instanceof NotLiteral) return text
    throw e
  }
}

const ESC: Record<string, string> = {n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', v: '\v', '0': '\0', '\n': ''}

class Parser {
  i = 0
  constructor(private s: string) {}

  /** spaces, and a `# comment` running to the end of a line (Python source allows both around a literal) */
  ws(): void {
    if (this.i === 0 && /^\s/.test(this.s)) throw new NotLiteral() // a leading space is an IndentationError
    for (;;) {
      while (this.i < this.s.length && /\s/.test(this.s[this.i]!)) this.i++
      if (this.s[this.i] !== '#') return
      while (this.i < this.s.length && this.s[this.i] !== '\n') this.i++
    }
  }

  value(depth: number): unknown {
    if (depth > MAX_DEPTH) throw new NotLiteral()
    this.ws()
    const ch = this.s[this.i]
    if (ch === '"' || ch === "'") {
      let out = ''
      // adjacent strings concatenate ('a' 'b')
      while (this.s[this.i] === '"' || this.s[this.i] === "'") {
        out += this.str()
        const save = this.i
        this.ws()
        if (this.s[this.i] !== '"' && this.s[this.i] !== "'") this.i = save
      }
      return out
    }
    if (ch === '[' || ch === '(') return this.seq(ch === '[' ? ']' : ')', depth)
    if (ch === '{') return this.dict(depth)
    NUMBER.lastIndex = this.i
    const m = NUMBER.exec(this.s)
    if (!m) throw new NotLiteral()
    this.i += m[0].length
    const raw = m[0].replace(/\s/g, '')
    const signs = /^[-+]*/.exec(raw)![0]
    const rawBody = raw.slice(signs.length)
    const neg = (signs.match(/-/g) ?? []).length % 2 === 1
    if (rawBody === 'True' || rawBody === 'False' || rawBody === 'None') {
      if (signs) throw new NotLiteral()
      return rawBody === 'None' ? null : rawBody === 'True'
    }
    const digits = String.raw`\d(?:_?\d)*`
    const body = rawBody.replace(/_/g, '')
    let n: number
    if (new RegExp(`^0[xX](?:_?[0-9a-fA-F])+$|^0[oO](?:_?[0-7])+$|^0[bB](?:_?[01])+$`).test(rawBody)) n = Number(body.toLowerCase())
    else if (new RegExp(`^${digits}$`).test(rawBody)) {
      if (/^0\d/.test(body) && !/^0+$/.test(body)) throw new NotLiteral() // 010 is a SyntaxError in Python 3
      n = Number(body)
    } else if (new RegExp(`^(?:${digits})?\\.(?:${digits})?(?:[eE][-+]?${digits})?$|^${digits}[eE][-+]?${digits}$`).test(rawBody) && /\d/.test(body)) n = Number(body)
    else throw new NotLiteral()
    return neg ? -n : n
  }

  str(): string {
    const q = this.s[this.i]!
    const triple = this.s.startsWith(q.repeat(3), this.i)
    const end = triple ? q.repeat(3) : q
    this.i += end.length
    let out = ''
    while (this.i < this.s.length) {
      if (this.s.startsWith(end, this.i)) {
        this.i += end.length
        return out
      }
      const c = this.s[this.i]!
      if (c === '\n' && !triple) throw new NotLiteral()
      if (c === '\\') {
        const n = this.s[this.i + 1] ?? ''
        const hex = n === 'x' ? 2 : n === 'u' ? 4 : n === 'U' ? 8 : 0
        if (hex) {
          const h = this.s.slice(this.i + 2, this.i + 2 + hex)
          if (!new RegExp(`^[0-9a-fA-F]{${hex}}$`).test(h)) throw new NotLiteral()
          out += String.fromCodePoint(parseInt(h, 16))
          this.i += 2 + hex
        } else if (n in ESC) {
          out += ESC[n]
          this.i += 2
        } else {
          out += c
          this.i += 1
        }
        continue
      }
      out += c
      this.i++
    }
    throw new NotLiteral()
  }

  seq(close: string, depth: number): unknown[] {
    this.i++
    const out: unknown[] = []
    for (;;) {
      this.ws()
      if (this.s[this.i] === close) {
        this.i++
        return out
      }
      out.push(this.value(depth + 1))
      this.ws()
      if (this.s[this.i] === ',') this.i++
      else if (this.s[this.i] !== close) throw new NotLiteral()
    }
  }

  dict(depth: number): unknown {
    this.i++
    const obj: Record<string, unknown> = Object.create(null)
    const items: unknown[] = []
    let isSet = false
    for (let first = true; ; first = false) {
      this.ws()
      if (this.s[this.i] === '}') {
        this.i++
        return isSet ? items : {...obj}
      }
      const k = this.value(depth + 1)
      this.ws()
      if (first && this.s[this.i] !== ':') isSet = true
      if (isSet) items.push(k)
      else {
        if (this.s[this.i] !== ':') throw new NotLiteral()
        this.i++
        if (typeof k === 'object' && k !== null) throw new NotLiteral()
        obj[String(k)] = this.value(depth + 1)
      }
      this.ws()
      if (this.s[this.i] === ',') this.i++
      else if (this.s[this.i] !== '}') throw new NotLiteral()
    }
  }
}
