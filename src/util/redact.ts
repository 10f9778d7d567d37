/**
 * Secret values (from `${env:..}` and `${file:..}`) are replaced with `***` wherever they would be printed or stored.
 *
 * The rule, one for every place: a secret of 4 characters or more is redacted wherever it occurs; a shorter one
 * (`${env:PIN}` = `42`) only where it stands as a whole token, not inside a longer word or number (`42` in
 * `pin=42` or `42 ok`, not in `1428`), so a one-letter secret does not erase every such letter from the output.
 * Where two secrets overlap, the longer one wins.
 */

/** Shorter secrets are redacted only as whole tokens. */
export const SHORT_SECRET = 4
export const MASK = '***'

/** A span [start, end) of `text` that holds a secret. */
interface Span {
  start: number
  end: number
  secret: string
}

const WORD = /[\p{L}\p{N}_]/u
const isWord = (ch: string | undefined) => ch !== undefined && WORD.test(ch)

function uniqueSecrets(secrets: Iterable<string>): string[] {
  return [...new Set([...secrets].filter((s) => s.length > 0))].sort((a, b) => b.length - a.length)
}

/**
 * Every secret occurrence starting at `from` or later, left to right, non-overlapping (the longest secret first
 * where several start together). A short secret counts only as a whole token.
 */
function findSpans(text: string, list: string[], from = 0): Span[] {
  const found: Span[] = []
  for (const secret of list) {
    for (let i = text.indexOf(secret, from); i >= 0; i = text.indexOf(secret, i + 1)) {
      const end = i + secret.length
      if (secret.length < SHORT_SECRET) {
        if (isWord(secret[0]) && isWord(text[i - 1])) continue
        if (isWord(secret[secret.length - 1]) && isWord(text[end])) continue
      }
      found.push({start: i, end, secret})
    }
  }
  found.sort((a, b) => a.start - b.start || b.end - a.end)
  const spans: Span[] = []
  let at = from
  for (const s of found) {
    if (s.start < at) continue
    spans.push(s)
    at = s.end
  }
  return spans
}

/** `text` from `from` on, with the given spans (in `text`'s coordinates) masked. */
function maskSpans(text: string, spans: Span[], from = 0): string {
  let out = ''
  let at = from
  for (const s of spans) {
    out += text.slice(at, s.start) + MASK
    at = s.end
  }
  return out + text.slice(at)
}

export type Redactor = (s: string) => string

export function makeRedactor(secrets: Iterable<string>): Redactor {
  const list = uniqueSecrets(secrets)
  if (!list.length) return (s) => s
  return (s) => (typeof s === 'string' && s.length ? maskSpans(s, findSpans(s, list)) : s)
}

/**
 * Redaction of a stream that arrives in chunks: a secret split over two chunks (or over lines) is still redacted.
 * `push` returns the text that is safe to show now; only an ending that may be the start of a secret is held back
 * until the next chunk or `end`.
 */
export class StreamRedactor {
  private readonly list: string[]
  private buf = ''
  /** the last character already shown: whether a short secret right after it is a whole token */
  private ctx = ''

  constructor(secrets: Iterable<string>) {
    this.list = uniqueSecrets(secrets)
  }

  push(chunk: string): string {
    if (!this.list.length) return chunk
    const text = this.ctx + (this.buf += chunk)
    const from = this.ctx.length
    let cut = this.holdFrom(text, from)
    const spans = findSpans(text, this.list, from)
    for (const s of spans) if (s.start < cut && s.end > cut) cut = s.end
    if (cut <= from) return ''
    const shown = maskSpans(text.slice(0, cut), spans.filter((s) => s.end <= cut), from)
    this.ctx = text[cut - 1]!
    this.buf = text.slice(cut)
    return shown
  }

  /**
   * Where the text stops being decidable: the earliest start of a secret that the end of the text may be the
   * beginning of (a short secret complete at the very end too: the next character decides whether it is a token).
   */
  private holdFrom(text: string, from: number): number {
    let cut = text.length
    for (const secret of this.list) {
      const first = Math.max(from, text.length - secret.length + (secret.length < SHORT_SECRET ? 0 : 1))
      for (let i = first; i < cut; i++) {
        if (text.charCodeAt(i) === secret.charCodeAt(0) && secret.startsWith(text.slice(i))) {
          cut = i
          break
        }
      }
    }
    return cut
  }

  /** The held-back rest, redacted. */
  end(): string {
    if (!this.list.length) return ''
    const text = this.ctx + this.buf
    const rest = maskSpans(text, findSpans(text, this.list, this.ctx.length), this.ctx.length)
    this.buf = this.ctx = ''
    return rest
  }
}

/**
 * A text with its secrets kept as references instead of values: what a journal stores so a retry can run the exact
 * command again without the value ever being written to disk. Strings are literal text; `{ref}` is a secret's
 * source (`env:NAME`, `file:/absolute/path`).
 */
export type SecretTemplate = Array<string | {ref: string}>

/**
 * The template of `text`, with the same spans `makeRedactor` masks; undefined when the text holds no secret.
 * Throws when a secret's source is unknown (the text could not be rebuilt).
 */
export function toTemplate(text: string, refs: ReadonlyMap<string, string>): SecretTemplate | undefined {
  const spans = findSpans(text, uniqueSecrets(refs.keys()))
  if (!spans.length) return undefined
  const out: SecretTemplate = []
  let at = 0
  for (const s of spans) {
    if (s.start > at) out.push(text.slice(at, s.start))
    out.push({ref: refs.get(s.secret)!})
    at = s.end
  }
  if (at < text.length) out.push(text.slice(at))
  return out
}

/** Rebuild a template's text; `resolve` returns a reference's value now or throws saying why it cannot. */
export function fromTemplate(t: SecretTemplate, resolve: (ref: string) => string): string {
  return t.map((p) => (typeof p === 'string' ? p : resolve(p.ref))).join('')
}
