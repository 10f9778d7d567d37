// The suite's reporter: Node's spec reporter, with a line naming each test file before its results (files run
// concurrently; Node reports each file's tests together, once it ends, but the spec reporter does not say which file
// they came from), what a test printed marked with its file, and at the end each file's wall time, slowest first.
import path from 'node:path'
import {spec as Spec} from 'node:test/reporters'

const rel = (f) => (f ? path.relative(process.cwd(), f) || f : '?')
const secs = (ms) => `${(ms / 1000).toFixed(1)} s`

export default async function* reporter(source) {
  const spec = new Spec()
  const out = []
  spec.on('data', (d) => out.push(String(d)))
  const feed = (e) => {
    spec.write(e)
    const s = out.join('')
    out.length = 0
    return s
  }
  const files = new Map() // file -> wall time in ms
  let current
  for await (const e of source) {
    const d = e.data ?? {}
    const file = d.file ? path.resolve(d.file) : undefined
    if (e.type === 'test:complete' && file && d.nesting === 0 && path.resolve(d.name ?? '') === file) {
      files.set(file, d.details?.duration_ms ?? 0)
      continue
    }
    if (e.type === 'test:stdout' || e.type === 'test:stderr') {
      // a file's output arrives as it is printed, while another file's results may be shown: mark whose it is
      const text = String(d.message ?? '')
      yield text.replace(/^(?=.)/gm, `[${rel(file)}] `) + (text.endsWith('\n') ? '' : '\n')
      continue
    }
    if ((e.type === 'test:start' || e.type === 'test:pass' || e.type === 'test:fail') && file && file !== current) {
      current = file
      yield `\n▶ ${rel(file)}\n`
    }
    if (e.type === 'test:plan' && d.nesting === 0 && !d.file && files.size > 1) {
      const rows = [...files].sort((a, b) => b[1] - a[1])
      yield `\nℹ test files by wall time (each file from its start to its end):\n`
      for (const [f, ms] of rows) yield `ℹ   ${secs(ms).padStart(8)}  ${rel(f)}\n`
    }
    const s = feed(e)
    if (s) yield s
  }
  spec.end()
  const rest = out.join('')
  if (rest) yield rest
}
