#!/usr/bin/env node
// Runs every test/**/*.test.ts with Node's test runner through tsx. Node 20 does not expand a quoted glob, and a
// bare `node --test` finds no .ts file, so the files are listed here. HOME is a fresh temporary directory so no
// test reads or writes the user's ~/.ssh, and sandbox hosts get no shell start-up files.
import {spawnSync} from 'node:child_process'
import {mkdtempSync, readdirSync, rmSync, statSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

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
const home = mkdtempSync(path.join(os.tmpdir(), 'dops-test-home-'))
const res = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter', 'spec', ...files], {
  cwd: root,
  stdio: 'inherit',
  env: {...process.env, HOME: home, NO_COLOR: '1', SSH_AUTH_SOCK: '', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true'},
})
rmSync(home, {recursive: true, force: true})
process.exit(res.status ?? 1)
