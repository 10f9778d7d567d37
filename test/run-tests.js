#!/usr/bin/env node
// Runs every test/**/*.test.ts with Node's test runner through tsx, several files at once. Node 20 does not expand a
// quoted glob, and a bare `node --test` finds no .ts file, so the files are listed here (optionally only those whose
// path contains one of the arguments) and given to the runner's run() by test/run-files.mjs (`node --test` sorts
// them by path; run() keeps this order). Each file is its own process; DOPS_TEST_CONCURRENCY of them run at a time
// (default 4: most of a file's time is spent waiting on sshd, moto and dops processes, not on this machine's CPUs).
// The files known to be slow start first, so none of them is left running alone at the end. HOME is a fresh
// temporary directory (each file gets its own under it: test/file-home.mjs), so no test reads or writes the user's
// ~/.ssh and no two files share one. See docs/testing.md for the rules that make files safe to run together.
import {spawnSync} from 'node:child_process'
import {mkdtempSync, readdirSync, rmSync, statSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {SLOW_FIRST} from './slow-files.js'

const root = path.resolve(import.meta.dirname, '..')
const filter = process.argv.slice(2)
const files = []
const walk = (dir) => {
  for (const name of readdirSync(dir).sort()) {
    const p = path.join(dir, name)
    if (statSync(p).isDirectory()) walk(p)
    else if (name.endsWith('.test.ts') && (!filter.length || filter.some((f) => p.includes(f)))) files.push(path.relative(root, p))
  }
}
walk(path.join(root, 'test'))
if (!files.length) {
  console.error('no test files found')
  process.exit(1)
}
const raw = process.env.DOPS_TEST_CONCURRENCY ?? '4'
const concurrency = Number(raw)
if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 32) {
  console.error(`DOPS_TEST_CONCURRENCY: expected a whole number from 1 to 32, got \`${raw}\``)
  process.exit(2)
}
// slowest first (longest-processing-time order), the rest as found
const rank = (f) => {
  const i = SLOW_FIRST.indexOf(f)
  return i < 0 ? SLOW_FIRST.length : i
}
files.sort((a, b) => rank(a) - rank(b))
console.log(`${files.length} test files, ${Math.min(concurrency, files.length)} at a time (DOPS_TEST_CONCURRENCY)`)
const home = mkdtempSync(path.join(os.tmpdir(), 'dops-test-home-'))
const args = ['--import', 'tsx', '--import', './test/file-home.mjs', 'test/run-files.mjs', String(concurrency), ...files]
const res = spawnSync(process.execPath, args, {
  cwd: root,
  stdio: 'inherit',
  env: {...process.env, HOME: home, DOPS_TEST_HOME: home, NO_COLOR: '1', SSH_AUTH_SOCK: '', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true'},
})
rmSync(home, {recursive: true, force: true})
process.exit(res.status ?? 1)
