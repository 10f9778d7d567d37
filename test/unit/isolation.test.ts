/**
 * The rules that let test files run at the same time (docs/testing.md, "Running files together"), checked on the
 * test sources: every moto of a test file comes from motoAt, with a base no other file (nor a bench) uses; no test
 * server listens on a fixed loopback port.
 */
import assert from 'node:assert/strict'
import {readdirSync, readFileSync, statSync} from 'node:fs'
import path from 'node:path'
import {test} from 'node:test'
import {ROOT} from '../helpers.js'

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n)
    if (statSync(p).isDirectory()) return n === 'fixtures' ? [] : sources(p)
    return /\.(ts|mjs|js)$/.test(n) ? [p] : []
  })
}
const files = [...sources(path.join(ROOT, 'test')), ...sources(path.join(ROOT, 'bench'))].map((f) => ({file: path.relative(ROOT, f), text: readFileSync(f, 'utf8')}))
const mine = (f: string) => f === 'test/env/moto.ts' || f === 'test/unit/isolation.test.ts'

test('each moto has a base of its own: motoAt(N), N a multiple of 1000 from 10000 to 31000 (its ports stay below the ephemeral port range, 32768 and up, where an outgoing connection may hold the port moto wants), used by one file only', () => {
  const byBase = new Map<number, string[]>()
  const problems: string[] = []
  for (const {file, text} of files.filter((f) => !mine(f.file))) {
    const bases = [...text.matchAll(/motoAt\(\s*([^)]*?)\s*\)/g)].map((m) => m[1]!)
    for (const b of new Set(bases)) {
      const n = Number(b.replace(/_/g, ''))
      if (!/^[\d_]+$/.test(b) || n % 1000 !== 0 || n < 10_000 || n > 31_000) problems.push(`${file}: motoAt(${b}): the base must be a literal multiple of 1000 from 10000 to 31000 (its ports stay below the ephemeral port range, 32768 and up, where an outgoing connection may hold the port moto wants)`)
      else byBase.set(n, [...(byBase.get(n) ?? []), file])
    }
    if (file.startsWith('test/') && /startMoto\(/.test(text) && !bases.length) problems.push(`${file}: starts a moto on a port not from motoAt(base)`)
  }
  for (const [base, users] of byBase) if (users.length > 1) problems.push(`motoAt(${base}) is used by ${users.join(' and ')}: each file needs a base of its own`)
  assert.deepEqual(problems, [])
  assert.ok(byBase.size >= 5, `the check found the moto files (${byBase.size})`)
})

test('no test server listens on a fixed loopback port (listen(0), 127.0.0.1:0, or a moto base instead)', () => {
  const fixed = [
    /\.listen\(\s*[1-9]\d*/, // server.listen(8080, ...)
    /listen:\s*['"`][^'"`]*:[1-9]\d*['"`]/, // startServe({listen: '127.0.0.1:8080'})
    /['"`]--listen['"`],\s*['"`]127\.[\d.]+:[1-9]\d*['"`]/, // dops serve --listen 127.0.0.1:8080
    /--web\.listen-address=127\.[\d.]+:[1-9]/, // prometheus, alertmanager
  ]
  const problems = files.filter((f) => !mine(f.file)).flatMap(({file, text}) => text.split('\n').flatMap((line, i) => (fixed.some((re) => re.test(line)) ? [`${file}:${i + 1}: ${line.trim()}`] : [])))
  assert.deepEqual(problems, [])
})
