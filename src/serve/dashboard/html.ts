/**
 * The dashboard's HTML on the server: one escape helper for every value that reaches the page, and the JSON block the
 * page's script starts from. Nothing here runs in the browser.
 */

const ENTITIES: Record<string, string> = {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;'}

/** Text or an attribute value (always quoted) made inert: `<script>` shows as text. `undefined`/`null`: empty. */
export function esc(value: unknown): string {
  if (value === undefined || value === null) return ''
  return String(value).replace(/[&<>"'`]/g, (c) => ENTITIES[c]!)
}

/**
 * JSON for a `<script type="application/json">` block: `<`, `>`, `&` and the JavaScript line separators as `\u` escapes,
 * so no value can close the block (`</script>`) or open a comment (`<!--`). `JSON.parse` reads it back unchanged.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value ?? null).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

/** A timestamp as the page shows it (UTC, to the second), or `-`. */
export function when(iso: string | undefined): string {
  if (!iso) return '-'
  const t = Date.parse(iso)
  return Number.isNaN(t) ? String(iso) : new Date(t).toISOString().replace('T', ' ').slice(0, 19) + 'Z'
}

/** A duration in ms as `850ms`, `12.3s`, `4m05s`. */
export function duration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '-'
  if (ms < 1000) return `${Math.round(ms)}ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`
  const s = Math.round(ms / 1000)
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
}

/** The Content-Security-Policy of every dashboard answer: nothing inline, nothing from elsewhere. */
export const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ')

/** Headers of every dashboard answer. */
export const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
}
