// Started by test/run-tests.js as `node --import tsx --import ./test/file-home.mjs test/run-files.mjs N FILE...`:
// runs the files with Node's test runner, N at a time, in the order given (`node --test` would sort them by path),
// each in its own process with this process's --import flags, and prints them with test/reporter.mjs. Exit 1 when
// a test or a file failed, as `node --test` does.
import path from 'node:path'
import {run} from 'node:test'
import reporter from './reporter.mjs'

const [n, ...files] = process.argv.slice(2)
let failed = false
const stream = run({files: files.map((f) => path.resolve(f)), concurrency: Number(n), execArgv: process.execArgv})
stream.on('test:fail', (d) => {
  if (!d.todo && !d.skip) failed = true
})
const out = stream.compose(reporter)
out.pipe(process.stdout)
out.on('end', () => {
  process.exitCode = failed ? 1 : 0
})
